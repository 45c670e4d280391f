# Reference values for the last items of issue 15: svyciprop(method = "likelihood"), and svyquantile (every
# interval.type) and design effects on replicate-weight designs (JK1, JKn, BRR, Fay, bootstrap).
#
# Run from the repository root:   Rscript tests/reference/survey/make_issue15_more_reference.R
# Needs R >= 4.2 with survey and jsonlite (Debian bookworm: r-base-core r-cran-survey r-cran-jsonlite; survey 4.1-1).
# Reads the data files written by make_reference.R / make_issue15_reference.R (apiclus1.csv, apistrat.csv,
# apiclus2.csv, apiclus1_na.csv, apistrat_paired.csv, boot_repweights_strat.csv) and writes
# issue15_more_reference.json next to this script. The api data are read from those CSVs, not data(api): the CSVs
# hold the weights to 15 digits, and a quantile decided by a tie of cumulative weights (equal weights) must see the
# same digits as the Python test.
#
# R 4.1.1's svyquantile() on a replicate design ignores interval.type for "beta", "xlogit" and "asin" (it calls
# woodruffCI without method =, so every Woodruff interval is "mean"; the linearisation method passes it). The
# engine computes the interval that was asked for, so those references come from survey:::woodruffCI(method = ),
# R's own Woodruff code, on the replicate design; "mean" and "quantile" come from svyquantile() itself.
# R is never a runtime dependency: the tests only read these files.
suppressPackageStartupMessages({ library(survey); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/survey"
})
rd <- function(f) read.csv(file.path(out_dir, f), stringsAsFactors = FALSE)
apiclus1 <- rd("apiclus1.csv"); apistrat <- rd("apistrat.csv"); apiclus2 <- rd("apiclus2.csv")

ciprop <- function(p) {
  ci <- attr(p, "ci")
  list(estimate = unname(as.numeric(p)), se = unname(sqrt(attr(p, "var")[1])), ci_low = unname(ci[1]),
       ci_high = unname(ci[2]))
}
stat <- function(s, df = Inf) {
  ci <- confint(s, df = df)
  d <- attr(s, "deff")
  list(estimate = unname(coef(s)), se = as.vector(unname(SE(s))), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), deff = if (is.null(d)) NULL else unname(diag(as.matrix(d))))
}
ref <- list(meta = list(R = R.version.string, survey = as.character(packageVersion("survey"))))

dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
na <- read.csv(file.path(out_dir, "apiclus1_na.csv"), stringsAsFactors = FALSE)
dna <- svydesign(id = ~dnum, weights = ~pw, data = na, fpc = ~fpc)

# unequal weights and missing values: the GLM's weights are normalised over all rows, its dispersion over the rest
sna <- apistrat
sna$awards_yes <- as.numeric(sna$awards == "Yes")
sna$awards_yes[seq(2, nrow(sna), by = 9)] <- NA
dsna <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = sna, fpc = ~fpc)

# ---- svyciprop(method = "likelihood"): the Rao-Scott-scaled profile likelihood of the quasi-binomial GLM
ref$ciprop_likelihood <- list(
  clus1 = ciprop(svyciprop(~I(sch_wide == "Yes"), dclus1, method = "likelihood")),
  clus1_90 = ciprop(svyciprop(~I(sch_wide == "Yes"), dclus1, method = "likelihood", level = 0.9)),
  strat = ciprop(svyciprop(~I(awards == "Yes"), dstrat, method = "likelihood")),
  clus2 = ciprop(svyciprop(~I(both == "Yes"), dclus2, method = "likelihood")),
  rare = ciprop(svyciprop(~I(api00 > 850), dstrat, method = "likelihood")),
  na = ciprop(svyciprop(~sch_wide_yes, dna, method = "likelihood", na.rm = TRUE)),
  strat_na = ciprop(svyciprop(~awards_yes, dsna, method = "likelihood", na.rm = TRUE)),
  domain_H = ciprop(svyciprop(~I(sch_wide == "Yes"), subset(dclus1, stype == "H"), method = "likelihood")),
  domain_strat_M = ciprop(svyciprop(~I(awards == "Yes"), subset(dstrat, stype == "M"), method = "likelihood"))
)

# ---- replicate designs: svyquantile with every interval.type, and svymean/svytotal with deff = TRUE
paired <- read.csv(file.path(out_dir, "apistrat_paired.csv"), stringsAsFactors = FALSE)
dpaired <- svydesign(id = ~psu_id, strata = ~pair, weights = ~pw, data = paired)
sylvester <- matrix(1)
while (nrow(sylvester) < length(unique(paired$pair)) + 1) sylvester <- rbind(cbind(sylvester, sylvester),
                                                                             cbind(sylvester, -sylvester))
set.seed(20240601)  # as make_reference.R, so the bootstrap replicates are those of boot_repweights_strat.csv
boot <- as.svrepdesign(dstrat, type = "bootstrap", replicates = 50, compress = FALSE)
bw <- read.csv(file.path(out_dir, "boot_repweights_strat.csv"))
stopifnot(max(abs(as.matrix(bw) - unclass(boot$repweights))) == 0)
reps <- list(
  jk1_clus1 = as.svrepdesign(dclus1, type = "JK1"),
  jkn_strat = as.svrepdesign(dstrat, type = "JKn"),
  jkn_strat_mse = as.svrepdesign(dstrat, type = "JKn", mse = TRUE),
  brr_paired = as.svrepdesign(dpaired, type = "BRR", hadamard.matrix = sylvester),
  fay_paired = as.svrepdesign(dpaired, type = "Fay", fay.rho = 0.3, hadamard.matrix = sylvester),
  boot_strat = boot
)
quant <- function(r, formula, probs, type, rule = "math", ...) {
  q <- suppressMessages(suppressWarnings(
    svyquantile(formula, r, probs, interval.type = type, qrule = rule, ci = TRUE, ...)))[[1]]
  list(estimate = unname(q[, 1]), ci_low = unname(q[, 2]), ci_high = unname(q[, 3]), se = unname(q[, 4]))
}
woodruff <- function(r, var, probs, type, rule = "math") {
  x <- r$variables[[var]]
  w <- weights(r, "sampling")
  qrule <- get(paste0("qrule_", rule), envir = asNamespace("survey"))
  df <- degf(r)
  rows <- sapply(probs, function(p) {
    qhat <- qrule(x, w, p)
    ci <- survey:::woodruffCI(x, qhat, p, r, qrule, 0.05, df, method = type)
    c(qhat, ci, diff(ci) / (2 * qt(0.975, df)))
  })
  list(estimate = unname(rows[1, ]), ci_low = unname(rows[2, ]), ci_high = unname(rows[3, ]), se = unname(rows[4, ]))
}
ref$replicate_quantile <- lapply(reps, function(r) {
  out <- lapply(c(mean = "mean", quantile = "quantile"), function(type) quant(r, ~api00, c(0.1, 0.5, 0.9), type))
  for (type in c("beta", "xlogit", "asin")) out[[type]] <- woodruff(r, "api00", c(0.1, 0.5, 0.9), type)
  out$hf7_mean <- quant(r, ~api00, c(0.25, 0.75), "mean", rule = "hf7")
  out$hf7_quantile <- quant(r, ~api00, c(0.25, 0.75), "quantile", rule = "hf7")
  out$degf <- degf(r)
  out
})
ref$replicate_quantile$jk1_clus1$narm_mean <- quant(reps$jk1_clus1, ~acs_k3, c(0.5), "mean", na.rm = TRUE)
ref$replicate_quantile$jk1_clus1$narm_beta <- woodruff(reps$jk1_clus1[!is.na(apiclus1$acs_k3), ], "acs_k3", 0.5,
                                                         "beta")
ref$replicate_quantile$jk1_clus1$narm_quantile <- quant(reps$jk1_clus1, ~acs_k3, c(0.5), "quantile", na.rm = TRUE)

ref$replicate_deff <- lapply(reps, function(r) list(
  mean_api00 = stat(svymean(~api00, r, deff = TRUE)),
  total_enroll = stat(svytotal(~enroll, r, deff = TRUE)),
  mean_stype = stat(svymean(~stype, r, deff = TRUE)),
  mean_api00_replace = stat(svymean(~api00, r, deff = "replace"))
))
ref$replicate_deff$jk1_clus1$mean_acsk3_narm <- stat(svymean(~acs_k3, reps$jk1_clus1, deff = TRUE, na.rm = TRUE))

# ---- qrule "hf3" (the one R 4.1.1 rule the engine lacked), linearisation and replicate designs
q_lin <- function(d, formula, probs) {
  q <- svyquantile(formula, d, probs, ci = TRUE, qrule = "hf3")[[1]]
  list(estimate = unname(q[, 1]), ci_low = unname(q[, 2]), ci_high = unname(q[, 3]), se = unname(q[, 4]))
}
ref$qrule_hf3 <- list(strat = q_lin(dstrat, ~api00, c(0.1, 0.5, 0.9)), clus1 = q_lin(dclus1, ~enroll, c(0.25, 0.5)),
                      jk1_clus1_quantile = quant(reps$jk1_clus1, ~api00, c(0.25, 0.5), "quantile", rule = "hf3"),
                      # tied x, zero weights, p on jumps of the CDF at odd and even positions (binary fractions)
                      toy = sapply(c(0.1, 0.25, 0.375, 0.5, 0.625, 0.75, 0.8), function(p)
                        survey:::qrule_hf3(c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3), c(1, 1, 1, 1, 1, 1, 1, 0, 0, 1), p)),
                      toy_p = c(0.1, 0.25, 0.375, 0.5, 0.625, 0.75, 0.8))

# ---- JK1 over a stratified sample: R refuses as.svrepdesign(type = "JK1") there, but svrepdesign() takes such
# replicate weights (delete-one-unit, ignoring the strata) as a user-supplied JK1 design
jk1_strat <- svrepdesign(data = apistrat, repweights = outer(seq_len(nrow(apistrat)), seq_len(nrow(apistrat)), "!=") *
                           nrow(apistrat) / (nrow(apistrat) - 1),
                         weights = ~pw, type = "JK1", combined.weights = FALSE,
                         scale = (nrow(apistrat) - 1) / nrow(apistrat), rscales = 1)
ref$jk1_stratified <- list(scale = jk1_strat$scale, degf = degf(jk1_strat),
                           mean_api00 = stat(svymean(~api00, jk1_strat, deff = TRUE)),
                           prop_awards = stat(svymean(~awards, jk1_strat)),
                           quantile = quant(jk1_strat, ~api00, c(0.5), "mean"))

# ---- svyciprop "asin" and "beta" on replicate designs
ref$replicate_ciprop <- lapply(reps, function(r) lapply(c(asin = "asin", beta = "beta"), function(m)
  ciprop(svyciprop(~I(api00 > 700), r, method = m))))

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string"),
           file.path(out_dir, "issue15_more_reference.json"))
