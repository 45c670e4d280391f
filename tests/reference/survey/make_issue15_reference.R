# Reference values for issue 15 (survey engine): domain t(degf) intervals, bounded/generalised calibration and
# trimming, svyciprop with missing values, design effects where they are undefined, replicate domains with an empty
# replicate, and the wave-to-wave / pooled trend of the satisfaction index.
#
# Run from the repository root:   Rscript tests/reference/survey/make_issue15_reference.R
# Needs R >= 4.2 with survey and jsonlite (Debian bookworm: r-base-core r-cran-survey r-cran-jsonlite; survey 4.1-1).
# Writes next to this script: apiclus1_na.csv, wave_trend_sample.csv (the data R used) and issue15_reference.json.
# R is never a runtime dependency: the tests only read these files.
suppressPackageStartupMessages({ library(survey); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/survey"
})
root <- normalizePath(file.path(out_dir, "..", "..", ".."))
data(api)

stat <- function(s, df = Inf) {
  ci <- confint(s, df = df)
  d <- attr(s, "deff")
  list(estimate = unname(coef(s)), se = as.vector(unname(SE(s))), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), deff = if (is.null(d)) NULL else unname(diag(as.matrix(d))))
}
ciprop <- function(p) {
  ci <- attr(p, "ci")
  list(estimate = unname(as.numeric(p)), se = unname(sqrt(attr(p, "var")[1])), ci_low = unname(ci[1]),
       ci_high = unname(ci[2]))
}
# One domain at a time as a subset design: t with the subset's degf (R's recipe for small-domain intervals).
domain_t <- function(design, formula, by, levels, ...) {
  rows <- lapply(levels, function(l) {
    sub <- subset(design, design$variables[[by]] == l)
    s <- svymean(formula, sub, ...)
    ci <- confint(s, df = degf(sub))
    c(estimate = unname(coef(s)), se = unname(SE(s)), ci_low = ci[1, 1], ci_high = ci[1, 2], df = degf(sub))
  })
  m <- do.call(rbind, rows)
  list(level = as.character(levels), estimate = unname(m[, "estimate"]), se = unname(m[, "se"]),
       ci_low = unname(m[, "ci_low"]), ci_high = unname(m[, "ci_high"]), df = unname(m[, "df"]))
}

ref <- list(meta = list(R = R.version.string, survey = as.character(packageVersion("survey"))))

# ---- domains: t with the domain's degrees of freedom
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2)
ref$domain_t <- list(
  clus1_stype = domain_t(dclus1, ~api00, "stype", c("E", "H", "M")),
  strat_stype = domain_t(dstrat, ~api00, "stype", c("E", "H", "M")),
  clus2_stype = domain_t(dclus2, ~api00, "stype", c("E", "H", "M")),
  clus1_design_df = list(degf = degf(dclus1))
)

# ---- calibration (R's documented apiclus1 example totals)
pop <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)
cal <- list(
  linear_bounded = calibrate(dclus1, ~stype + api99, pop, bounds = c(0.6, 1.6)),
  raking = calibrate(dclus1, ~stype + api99, pop, calfun = "raking"),
  raking_bounded = calibrate(dclus1, ~stype + api99, pop, calfun = "raking", bounds = c(0.6, 1.6)),
  logit = calibrate(dclus1, ~stype + api99, pop, calfun = "logit", bounds = c(0.5, 2.5)),
  linear_trim = calibrate(dclus1, ~stype + api99, pop, bounds = c(0.5, 2), trim = c(0.8, 1.2)),
  strat_raking = calibrate(dstrat, ~api99, c(`(Intercept)` = 6194, api99 = 3914069), calfun = "raking")
)
ref$calibrate <- lapply(cal, function(d) list(
  weights = unname(weights(d)),
  mean_api00 = stat(svymean(~api00, d, deff = TRUE)),
  total_enroll = stat(svytotal(~enroll, d, deff = TRUE)),
  mean_api99 = stat(svymean(~api99, d))
))
trimmed <- list(
  strat = trimWeights(dstrat, upper = 40, lower = 12),
  strat_strict = trimWeights(dstrat, upper = 40, lower = 12, strict = TRUE),
  calibrated = trimWeights(cal$linear_bounded, upper = 40)
)
ref$trim <- lapply(trimmed, function(d) list(
  weights = unname(weights(d)), mean_api00 = stat(svymean(~api00, d, deff = TRUE)),
  total_enroll = stat(svytotal(~enroll, d, deff = TRUE))
))

# ---- svyciprop with missing values: df from the whole design
na <- apiclus1
na$sch_wide_yes <- as.numeric(na$sch.wide == "Yes")
na$sch_wide_yes[na$dnum %in% c(61, 135)] <- NA     # two whole PSUs missing: degf of the non-missing part is 2 lower
na$sch_wide_yes[seq(3, nrow(na), by = 7)] <- NA
write.csv(na[, c("dnum", "snum", "pw", "fpc", "stype", "api00", "sch_wide_yes")],
          file.path(out_dir, "apiclus1_na.csv"), row.names = FALSE, na = "")
dna <- svydesign(id = ~dnum, weights = ~pw, data = na, fpc = ~fpc)
ref$ciprop_na <- list(
  degf = degf(dna),
  logit = ciprop(svyciprop(~sch_wide_yes, dna, method = "logit", na.rm = TRUE)),
  mean = ciprop(svyciprop(~sch_wide_yes, dna, method = "mean", na.rm = TRUE))
)

ref$ciprop_methods <- list()
for (m in c("xlogit", "asin", "beta", "mean", "logit")) {
  ref$ciprop_methods[[m]] <- list(
    clus1 = ciprop(svyciprop(~I(sch.wide == "Yes"), dclus1, method = m)),
    strat = ciprop(svyciprop(~I(awards == "Yes"), dstrat, method = m)),
    na = ciprop(svyciprop(~sch_wide_yes, dna, method = m, na.rm = TRUE)))
}

# ---- svyvar and the total of a factor
ref$svyvar <- list(clus1 = stat(svyvar(~api00, dclus1)), strat = stat(svyvar(~api00, dstrat)),
                   na = stat(svyvar(~sch_wide_yes, dna, na.rm = TRUE)), clus2 = stat(svyvar(~api00, dclus2)))
ref$total_factor <- list(clus1_stype = stat(svytotal(~stype, dclus1, deff = TRUE)),
                         strat_awards = stat(svytotal(~awards, dstrat, deff = TRUE)))

# ---- quantile, ciprop and GLM on domains (subset designs)
qsub <- function(d) {
  q <- svyquantile(~api00, d, c(0.25, 0.5), ci = TRUE)[[1]]
  list(estimate = unname(q[, 1]), ci_low = unname(q[, 2]), ci_high = unname(q[, 3]), se = unname(q[, 4]))
}
glm_stat <- function(g) {
  ci <- confint(g)
  list(term = names(coef(g)), estimate = unname(coef(g)), se = unname(SE(g)),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]), df = g$df.residual)
}
ref$domains <- list(
  quantile = lapply(c(E = "E", H = "H", M = "M"), function(l) qsub(subset(dclus1, stype == l))),
  ciprop = lapply(c(E = "E", H = "H", M = "M"), function(l)
    ciprop(svyciprop(~I(sch.wide == "Yes"), subset(dclus1, stype == l)))),
  glm_E = glm_stat(svyglm(api00 ~ ell + meals, subset(dclus1, stype == "E"))),
  glm_strat_H = glm_stat(svyglm(api00 ~ ell + meals, subset(dstrat, stype == "H"))),
  glm_binomial_M = glm_stat(svyglm(I(sch.wide == "Yes") ~ api99, subset(dstrat, stype != "M"),
                                   family = quasibinomial))
)

# ---- JKn replicate weights, mse
rep_stat <- function(r) list(
  scale = r$scale, rscales = unname(r$rscales),
  mean_api00 = stat(svymean(~api00, r)), total_enroll = stat(svytotal(~enroll, r)),
  by_awards = {
    b <- svyby(~api00, ~awards, r, svymean)
    ci <- confint(b)
    list(level = as.character(b$awards), estimate = unname(coef(b)), se = unname(SE(b)),
         ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]))
  })
dstratclus <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = apistrat, nest = TRUE)
ref$jkn <- list(
  strat = rep_stat(as.svrepdesign(dstrat, type = "JKn")),
  strat_mse = rep_stat(as.svrepdesign(dstrat, type = "JKn", mse = TRUE)),
  stratclus = rep_stat(as.svrepdesign(dstratclus, type = "JKn")),
  clus1_jk1_mse = rep_stat(as.svrepdesign(dclus1, type = "JK1", mse = TRUE))
)

# ---- svyquantile qrules
ref$qrules <- lapply(c(school = "school", hf2 = "hf2", hf4 = "hf4", hf5 = "hf5", hf6 = "hf6", hf8 = "hf8",
                       hf9 = "hf9", shahvaish = "shahvaish"), function(rule) list(
  strat = { q <- svyquantile(~api00, dstrat, c(0.1, 0.5, 0.9), ci = TRUE, qrule = rule)[[1]]
            list(estimate = unname(q[, 1]), ci_low = unname(q[, 2]), ci_high = unname(q[, 3]), se = unname(q[, 4])) },
  clus1 = { q <- svyquantile(~enroll, dclus1, c(0.25, 0.5), ci = TRUE, qrule = rule)[[1]]
            list(estimate = unname(q[, 1]), ci_low = unname(q[, 2]), ci_high = unname(q[, 3]), se = unname(q[, 4])) }))

# ---- BRR and Fay on a paired design (two PSUs per stratum), with the Sylvester Hadamard matrix
paired <- apistrat
paired$pair <- paste(paired$stype, paired$awards, sep = "_")
paired$half <- ave(seq_len(nrow(paired)), paired$pair, FUN = function(i) rep(1:2, length.out = length(i)))
paired$psu_id <- paste(paired$pair, paired$half, sep = "_")
write.csv(paired[, c("pair", "psu_id", "pw", "api00", "enroll", "awards", "stype")],
          file.path(out_dir, "apistrat_paired.csv"), row.names = FALSE)
dpaired <- svydesign(id = ~psu_id, strata = ~pair, weights = ~pw, data = paired)
sylvester <- matrix(1)
while (nrow(sylvester) < length(unique(paired$pair)) + 1) sylvester <- rbind(cbind(sylvester, sylvester),
                                                                             cbind(sylvester, -sylvester))
ref$brr <- list(
  brr = rep_stat(as.svrepdesign(dpaired, type = "BRR", hadamard.matrix = sylvester)),
  fay = rep_stat(as.svrepdesign(dpaired, type = "Fay", fay.rho = 0.3, hadamard.matrix = sylvester)),
  fay_mse = rep_stat(as.svrepdesign(dpaired, type = "Fay", fay.rho = 0.5, hadamard.matrix = sylvester, mse = TRUE))
)

# ---- estimators on replicate designs
rep_more <- function(r) list(
  degf = degf(r),
  prop_stype = stat(svymean(~stype, r)),
  ciprop = lapply(c(logit = "logit", xlogit = "xlogit", mean = "mean"), function(m)
    ciprop(svyciprop(~I(sch.wide == "Yes"), r, method = m))),
  glm = glm_stat(svyglm(api00 ~ ell + meals, r)),
  glm_binomial = glm_stat(svyglm(I(sch.wide == "Yes") ~ api99, r, family = quasibinomial))
)
ref$replicate_more <- list(jk1_clus1 = rep_more(as.svrepdesign(dclus1, type = "JK1")),
                           jkn_strat = rep_more(as.svrepdesign(dstrat, type = "JKn")))

# ---- design effects that are not defined
dsmall <- svydesign(id = ~1, strata = ~stype, weights = ~I(pw / 100), data = apistrat)
ref$deff <- list(weights_below_n = stat(suppressWarnings(svymean(~api00, dsmall, deff = TRUE))))

# ---- replicate designs: a domain that is empty in some replicates (one PSU) loses those replicates
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
one <- suppressWarnings(svyby(~api00, ~dnum, rclus1, svymean))
ref$replicate_domain <- list(level = as.character(one$dnum), estimate = unname(coef(one)), se = unname(SE(one)))

# ---- trend of the satisfaction index over three waves (design weights, eight communities)
options(survey.lonely.psu = "adjust")
items <- c("q_committee", "q_infrastructure", "q_activities", "q_neighbours", "q_trust", "q_belonging",
           "q_grid_service", "q_service_station")
raw <- read.csv(file.path(root, "data/synthetic/survey_responses.csv"), stringsAsFactors = FALSE)
d <- raw[raw$wave %in% 2022:2024 & raw$community_id %in% sprintf("C%02d", 1:8), ]
for (v in items) d[[v]][d[[v]] %in% c(8, 9)] <- NA
d <- d[, c("wave", "respondent_id", "community_id", "stratum", "psu", "base_weight", items)]
rownames(d) <- NULL
write.csv(d, file.path(out_dir, "wave_trend_sample.csv"), row.names = FALSE, na = "")
d$index <- 100 * (rowMeans(d[items], na.rm = TRUE) - 1) / 4
d$index[is.nan(d$index)] <- NA
means <- lapply(2022:2024, function(w) {
  dw <- svydesign(ids = ~psu, strata = ~stratum, weights = ~base_weight, nest = TRUE, data = d[d$wave == w, ])
  svymean(~index, dw, na.rm = TRUE)
})
diffs <- lapply(1:2, function(i) {
  est <- coef(means[[i + 1]]) - coef(means[[i]])
  se <- sqrt(vcov(means[[i + 1]]) + vcov(means[[i]]))
  list(difference = unname(est), se = unname(as.numeric(se)),
       p_value = unname(2 * pnorm(-abs(est / as.numeric(se)))))
})
d$stratum_w <- paste(d$wave, d$stratum, sep = "|")
d$psu_w <- paste(d$wave, d$stratum, d$psu, sep = "|")
stacked <- svydesign(ids = ~psu_w, strata = ~stratum_w, weights = ~base_weight, nest = TRUE, data = d)
fit <- svyglm(index ~ wave, stacked)
ci <- confint(fit)
ref$trend <- list(
  means = lapply(means, function(m) list(estimate = unname(coef(m)), se = unname(SE(m)))),
  differences = diffs,
  slope = list(estimate = unname(coef(fit)["wave"]), se = unname(SE(fit)["wave"]),
               ci_low = unname(ci["wave", 1]), ci_high = unname(ci["wave", 2]),
               p_value = unname(summary(fit)$coefficients["wave", 4]), df = fit$df.residual)
)

# ---- svytable and svychisq (Rao-Scott)
chisq <- function(x) list(statistic = unname(x$statistic), parameter = unname(x$parameter),
                          p_value = unname(x$p.value))
tab <- function(t) list(values = as.vector(unclass(t)), rows = rownames(t), cols = colnames(t))
ref$chisq <- list(
  clus1_schwide_stype_F = chisq(svychisq(~sch.wide + stype, dclus1)),
  clus1_schwide_stype_Chisq = chisq(svychisq(~sch.wide + stype, dclus1, statistic = "Chisq")),
  strat_stype_awards_F = chisq(svychisq(~stype + awards, dstrat)),
  clus2_stype_both_F = chisq(svychisq(~stype + both, dclus2)),
  calibrated_F = chisq(svychisq(~sch.wide + stype, cal$linear_bounded)),
  na_F = chisq(svychisq(~sch_wide_yes + stype, dna))
)
ref$svytable <- list(clus1_schwide_stype = tab(svytable(~sch.wide + stype, dclus1)),
                     clus1_stype = list(values = as.vector(svytable(~stype, dclus1))))

# ---- the raked wave of make_wave_reference.R: community intervals with the community's degf
ws <- read.csv(file.path(out_dir, "wave_sample.csv"), stringsAsFactors = FALSE)
wm <- read.csv(file.path(out_dir, "wave_margins.csv"), stringsAsFactors = FALSE)
ws$index <- 100 * (rowMeans(ws[items], na.rm = TRUE) - 1) / 4
ws$top2_committee <- ifelse(is.na(ws$q_committee), NA, as.numeric(ws$q_committee >= 4))
ws$age_group <- as.character(cut(ws$age, c(17, 39, 59, Inf), labels = c("18_39", "40_59", "60p")))
ws$m_sex <- paste(ws$community_id, ws$sex, sep = "|")
ws$m_hukou <- paste(ws$community_id, ws$hukou, sep = "|")
ws$m_age <- paste(ws$community_id, ws$age_group, sep = "|")
ws$m_age[ws$m_age %in% c("C05|40_59", "C05|60p")] <- "C05|40_59+60p"
target <- function(dim, var) {
  x <- wm[wm$dimension == dim, ]
  key <- paste(x$community_id, x$level, sep = "|")
  if (dim == "age_group") key[key %in% c("C05|40_59", "C05|60p")] <- "C05|40_59+60p"
  agg <- aggregate(x$count, list(key = key), sum)
  out <- data.frame(agg$key, agg$x, stringsAsFactors = FALSE)
  names(out) <- c(var, "Freq")
  out
}
wdes <- svydesign(ids = ~psu, strata = ~stratum, weights = ~base_weight, nest = TRUE, data = ws)
rk <- rake(wdes, list(~m_sex, ~m_age, ~m_hukou),
           list(target("sex", "m_sex"), target("age_group", "m_age"), target("hukou", "m_hukou")),
           control = list(maxit = 200, epsilon = 1e-12))
comms <- sort(unique(ws$community_id))
ref$wave_domain_t <- list(
  index = domain_t(rk, ~index, "community_id", comms, na.rm = TRUE),
  top2_committee = domain_t(rk, ~top2_committee, "community_id", comms, na.rm = TRUE)
)

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "string"),
           file.path(out_dir, "issue15_reference.json"))
