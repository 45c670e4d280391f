# Reference values for one survey wave weighted to population margins (src/evaluation/survey/wave.py).
#
# Run from the repository root:   Rscript tests/reference/survey/make_wave_reference.R
# Needs R >= 4.2 with survey and jsonlite. It reads the bundled synthetic district (data/synthetic), keeps the 2024
# wave of communities C01-C08, removes the respondents aged 60+ of C05 (so that community's 60p margin has nobody
# to rake to and must be collapsed with 40_59, as wave.py does), and writes next to this script:
#   - wave_sample.csv and wave_margins.csv, the data R used (answers 8/9 already recoded to missing);
#   - wave_reference.json, the numbers tests/survey/test_survey_wave.py compares against.
# R is never a runtime dependency: the tests only read these files.
suppressPackageStartupMessages({ library(survey); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/survey"
})
root <- normalizePath(file.path(out_dir, "..", "..", ".."))
options(survey.lonely.psu = "adjust")

items <- c("q_committee", "q_infrastructure", "q_activities", "q_neighbours", "q_trust", "q_belonging",
           "q_grid_service", "q_service_station")
keep_comm <- sprintf("C%02d", 1:8)
raw <- read.csv(file.path(root, "data/synthetic/survey_responses.csv"), stringsAsFactors = FALSE)
d <- raw[raw$wave == 2024 & raw$community_id %in% keep_comm, ]
d <- d[!(d$community_id == "C05" & d$age >= 60), ]
for (v in items) d[[v]][d[[v]] %in% c(8, 9)] <- NA                       # don't know / refused
for (v in c("q_overall", "q_recommend")) d[[v]][d[[v]] %in% c(98, 99)] <- NA
d <- d[, c("wave", "respondent_id", "community_id", "stratum", "psu", "base_weight", "sex", "age", "hukou", items,
           "q_recommend", "q_participated_12m")]
rownames(d) <- NULL
write.csv(d, file.path(out_dir, "wave_sample.csv"), row.names = FALSE, na = "")

m <- read.csv(file.path(root, "data/synthetic/population_margins.csv"), stringsAsFactors = FALSE)
m <- m[m$year == 2024 & m$community_id %in% keep_comm, ]
rownames(m) <- NULL
write.csv(m, file.path(out_dir, "wave_margins.csv"), row.names = FALSE)

# The satisfaction index of docs/conventions.md; top-2-box flags (4-5) among those answering.
d$index <- 100 * (rowMeans(d[items], na.rm = TRUE) - 1) / 4
d$top2_committee <- ifelse(is.na(d$q_committee), NA, as.numeric(d$q_committee >= 4))
d$age_group <- as.character(cut(d$age, c(17, 39, 59, Inf), labels = c("18_39", "40_59", "60p")))
d$m_sex <- paste(d$community_id, d$sex, sep = "|")
d$m_hukou <- paste(d$community_id, d$hukou, sep = "|")
d$m_age <- paste(d$community_id, d$age_group, sep = "|")
d$m_age[d$m_age %in% c("C05|40_59", "C05|60p")] <- "C05|40_59+60p"

target <- function(dim, var) {
  x <- m[m$dimension == dim, ]
  key <- paste(x$community_id, x$level, sep = "|")
  if (dim == "age_group") key[key %in% c("C05|40_59", "C05|60p")] <- "C05|40_59+60p"
  agg <- aggregate(x$count, list(key = key), sum)
  out <- data.frame(agg$key, agg$x, stringsAsFactors = FALSE)
  names(out) <- c(var, "Freq")
  out
}

des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~base_weight, nest = TRUE, data = d)
unw <- svydesign(ids = ~psu, strata = ~stratum, nest = TRUE, data = d)
rk <- rake(des, list(~m_sex, ~m_age, ~m_hukou),
           list(target("sex", "m_sex"), target("age_group", "m_age"), target("hukou", "m_hukou")),
           control = list(maxit = 200, epsilon = 1e-12))
tot <- aggregate(count ~ community_id, m[m$dimension == "sex", ], sum)
names(tot) <- c("community_id", "Freq")
ps <- postStratify(des, ~community_id, tot)

stat <- function(s) {
  ci <- confint(s)
  list(estimate = unname(coef(s)), se = as.vector(unname(SE(s))), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), deff = unname(diag(as.matrix(attr(s, "deff")))))
}
by_stat <- function(b) {
  ci <- confint(b)
  list(level = as.character(b[[1]]), estimate = unname(coef(b)), se = unname(SE(b)), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), deff = unname(deff(b)))
}
glm_stat <- function(g) {
  ci <- confint(g)
  list(term = names(coef(g)), estimate = unname(coef(g)), se = unname(SE(g)), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), df = g$df.residual)
}

ref <- list(
  meta = list(R = R.version.string, survey = as.character(packageVersion("survey")), n = nrow(d)),
  rake = list(
    weights = unname(weights(rk)),
    mean_index = stat(svymean(~index, rk, na.rm = TRUE, deff = TRUE)),
    mean_top2_committee = stat(svymean(~top2_committee, rk, na.rm = TRUE, deff = TRUE)),
    by_index_community = by_stat(svyby(~index, ~community_id, rk, svymean, na.rm = TRUE, deff = TRUE)),
    by_top2_community = by_stat(svyby(~top2_committee, ~community_id, rk, svymean, na.rm = TRUE, deff = TRUE)),
    glm_index_hukou = glm_stat(svyglm(index ~ hukou, rk))
  ),
  poststratify = list(weights = unname(weights(ps)),
                      mean_index = stat(svymean(~index, ps, na.rm = TRUE, deff = TRUE))),
  base = list(mean_index = stat(svymean(~index, des, na.rm = TRUE, deff = TRUE))),
  unweighted = list(mean_index = stat(svymean(~index, unw, na.rm = TRUE, deff = TRUE)))
)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "wave_reference.json"))
