# Reference values for the community-cluster intervals and the central rate-ratio p-value
# (src/evaluation/indicators/intervals.py: cluster_proportion, cluster_ratio, binomial_central_p).
#
# Run from the repository root:   Rscript tests/reference/indicators/make_cluster_reference.R
# Needs R >= 4.2 with survey and jsonlite (apt: r-base-core r-cran-survey r-cran-jsonlite). It writes, next to
# this script:
#   - cluster_events.csv: events (one row each) of 25 communities with a community-level propensity, drawn here
#     with a fixed seed so the Python tests read exactly what R read;
#   - cluster_communities.csv: counts and residents by community (for the rates);
#   - cluster_reference.json: the numbers the tests compare against.
# R is never a runtime dependency: the tests only read these files.
suppressPackageStartupMessages({ library(survey); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/indicators"
})
set.seed(20241215)
ref <- list()

## 1. A share over events clustered in communities: communities as PSUs, no weights (each event counts once).
G <- 25
size <- rpois(G, 60) + 5
prop <- plogis(rnorm(G, qlogis(0.85), 0.8))
ev <- do.call(rbind, lapply(seq_len(G), function(g)
  data.frame(community_id = sprintf("C%02d", g), y = rbinom(size[g], 1, prop[g]))))
write.csv(ev, file.path(out_dir, "cluster_events.csv"), row.names = FALSE)
d <- svydesign(ids = ~community_id, data = ev, weights = rep(1, nrow(ev)))
m <- svymean(~y, d)
share <- function(level) {
  ci <- svyciprop(~y, d, method = "logit", level = level)
  unname(attr(ci, "ci"))
}
ref$share <- list(estimate = unname(coef(m)), se = unname(SE(m)), df = degf(d),
                  ci95 = share(0.95), ci90 = share(0.90),
                  iid_se = sqrt(mean(ev$y) * (1 - mean(ev$y)) / nrow(ev)))

## 2. A rate per 10,000 residents and a mean per community, over community totals (communities as PSUs).
cm <- data.frame(community_id = sprintf("C%02d", seq_len(G)), events = rpois(G, 400 * exp(rnorm(G, 0, 0.4))),
                 residents = round(runif(G, 4000, 12000)))
write.csv(cm, file.path(out_dir, "cluster_communities.csv"), row.names = FALSE)
dc <- svydesign(ids = ~community_id, data = cm, weights = rep(1, G))
r <- svyratio(~events, ~residents, dc)
rci <- confint(r, df = degf(dc))
mu <- svymean(~events, dc)
mci <- confint(mu, df = degf(dc))
tot <- svytotal(~events, dc)
tci <- confint(tot, df = degf(dc))
ref$rate <- list(per_10k = 1e4 * unname(coef(r)), se = 1e4 * unname(SE(r)), ci95 = 1e4 * unname(rci[1, ]),
                 df = degf(dc))
ref$mean <- list(estimate = unname(coef(mu)), se = unname(SE(mu)), ci95 = unname(mci[1, ]))
ref$total <- list(estimate = unname(coef(tot)), se = unname(SE(tot)), ci95 = unname(tci[1, ]))

## 3. Central two-sided p of the exact conditional test of a rate ratio, with R's Clopper-Pearson interval
##    (poisson.test) and its minlike p-value, which can disagree with that interval near the edge.
central <- function(x, n, p0) min(1, 2 * min(pbinom(x, n, p0), pbinom(x - 1, n, p0, lower.tail = FALSE)))
ref$rate_ratio <- lapply(list(c(38, 58, 1, 1), c(38, 58, 51.5, 47.0), c(5, 0, 1, 1), c(120, 80, 2, 1),
                              c(11, 3, 1, 1), c(2, 9, 1, 3), c(7, 1, 3, 1), c(15, 4, 2, 1), c(0, 6, 1, 1)),
                         function(v) {
                           p <- poisson.test(v[1:2], v[3:4])
                           n <- v[1] + v[2]; p0 <- v[3] / (v[3] + v[4])
                           list(x = v[1], y = v[2], tx = v[3], ty = v[4], ci95 = unname(p$conf.int[1:2]),
                                p_minlike = p$p.value, p_central = central(v[1], n, p0))
                         })

ref$meta <- list(R = R.version.string, survey = as.character(packageVersion("survey")))
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(out_dir, "cluster_reference.json"))
