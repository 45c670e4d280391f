# Reference values for the design-based survey engine (src/evaluation/survey).
#
# Run from the repository root:   Rscript tests/reference/survey/make_reference.R
# Needs R >= 4.2 with survey, psych, ordinal, MASS and jsonlite. It writes, next to this script:
#   - the data R used (api*.csv, bfi_agree.csv, wine.csv, boot_repweights_strat.csv), so the Python tests read
#     exactly what R read;
#   - survey_reference.json, the numbers the tests compare against.
# R is never a runtime dependency: the tests only read these files.
suppressPackageStartupMessages({
  library(survey); library(psych); library(ordinal); library(MASS); library(jsonlite)
})
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/survey"
})
options(survey.lonely.psu = "fail")

data(api)
clean_names <- function(df) { names(df) <- gsub(".", "_", names(df), fixed = TRUE); df }
apiclus1$mealcat <- as.integer(cut(apiclus1$meals, c(0, 25, 50, 75, 100), include.lowest = TRUE))
write_csv <- function(df, name) write.csv(clean_names(df), file.path(out_dir, name), row.names = FALSE, na = "")
write_csv(apistrat, "apistrat.csv"); write_csv(apiclus1, "apiclus1.csv")
write_csv(apiclus2, "apiclus2.csv"); write_csv(apisrs, "apisrs.csv")

# svystat -> list(estimate, se, ci_low, ci_high, deff); confint() on svystat uses normal quantiles (df = Inf).
stat <- function(s) {
  ci <- confint(s)
  d <- attr(s, "deff")
  list(name = names(coef(s)), estimate = unname(coef(s)), se = as.vector(unname(SE(s))),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
       deff = if (is.null(d)) NULL else unname(if (is.matrix(d)) diag(d) else d))
}
ratio_stat <- function(r) {
  est <- as.vector(r$ratio); se <- sqrt(as.vector(r$var))
  list(estimate = est, se = se, ci_low = est - qnorm(0.975) * se, ci_high = est + qnorm(0.975) * se,
       deff = as.vector(attr(r, "deff")))
}
by_stat <- function(b, deff = TRUE) {
  ci <- confint(b)
  list(level = as.character(b[[1]]), estimate = unname(coef(b)), se = unname(SE(b)),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]),
       deff = if (deff) unname(deff(b)) else NULL)
}
quant <- function(q) {
  m <- q[[1]]
  list(quantile = as.numeric(rownames(m)), estimate = unname(m[, 1]), ci_low = unname(m[, 2]),
       ci_high = unname(m[, 3]), se = unname(m[, 4]))
}
ciprop <- function(p) {
  ci <- attr(p, "ci")
  list(estimate = unname(as.numeric(p)), se = unname(sqrt(attr(p, "var")[1])),
       ci_low = unname(ci[1]), ci_high = unname(ci[2]))
}
glm_stat <- function(g) {
  ci <- confint(g)
  list(term = names(coef(g)), estimate = unname(coef(g)), se = unname(SE(g)),
       ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]), df_residual = g$df.residual)
}

designs <- list(
  strat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc),
  clus1 = svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc),
  clus1_nofpc = svydesign(id = ~dnum, weights = ~pw, data = apiclus1),
  clus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2),
  clus2_w = svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2),
  srs = svydesign(id = ~1, fpc = ~fpc, data = apisrs)
)
ref <- list(meta = list(R = R.version.string, survey = as.character(packageVersion("survey")),
                        psych = as.character(packageVersion("psych")),
                        ordinal = as.character(packageVersion("ordinal"))))

est <- list()
for (nm in names(designs)) {
  d <- designs[[nm]]
  e <- list(
    degf = degf(d),
    mean_api00 = stat(svymean(~api00, d, deff = TRUE)),
    total_enroll = stat(svytotal(~enroll, d, deff = TRUE)),
    ratio_apistu_enroll = ratio_stat(svyratio(~api.stu, ~enroll, d, deff = TRUE)),
    prop_stype = stat(svymean(~stype, d, deff = TRUE)),
    total_stype = stat(svytotal(~stype, d, deff = TRUE)),
    mean_acsk3_narm = stat(svymean(~acs.k3, d, na.rm = TRUE, deff = TRUE)),
    total_acsk3_narm = stat(svytotal(~acs.k3, d, na.rm = TRUE, deff = TRUE)),
    quantile_math = quant(svyquantile(~api00, d, c(0.25, 0.5, 0.9), qrule = "math")),
    quantile_hf7 = quant(svyquantile(~api00, d, c(0.25, 0.5, 0.9), qrule = "hf7")),
    quantile_acsk3_narm = quant(svyquantile(~acs.k3, d, c(0.5), qrule = "math", na.rm = TRUE)),
    ciprop_logit = ciprop(svyciprop(~I(sch.wide == "Yes"), d, method = "logit")),
    ciprop_logit_yr = ciprop(svyciprop(~I(yr.rnd == "Yes"), d, method = "logit")),
    by_mean_api00_stype = by_stat(svyby(~api00, ~stype, d, svymean, deff = TRUE)),
    by_total_enroll_stype = by_stat(svyby(~enroll, ~stype, d, svytotal, deff = TRUE)),
    by_ratio_stype = by_stat(svyby(~api.stu, by = ~stype, denominator = ~enroll, design = d,
                                   FUN = svyratio), deff = FALSE),
    by_prop_schwide_stype = by_stat(svyby(~sch.wide, ~stype, d, svymean, deff = TRUE)),
    glm_gaussian = glm_stat(svyglm(api00 ~ ell + meals + mobility, design = d)),
    glm_binomial = glm_stat(svyglm(I(sch.wide == "Yes") ~ ell + meals, design = d,
                                   family = quasibinomial(),
                                   control = glm.control(epsilon = 1e-14, maxit = 100)))
  )
  est[[nm]] <- e
}
ref$estimates <- est

# Proportional odds (svyolr). optim() defaults (reltol 1e-8, ndeps 1e-3 for the numerical Hessian) are loose, so the
# reference is computed with tight settings; the exact optimum and Hessian are what the Python side computes.
olr <- function(d, method) {
  k <- 2 + 3
  f <- svyolr(factor(mealcat) ~ avg.ed + mobility, design = d, method = method,
              control = list(reltol = 1e-15, maxit = 10000, ndeps = rep(1e-5, k)))
  v <- diag(vcov(f))
  list(term = names(coef(f)), estimate = unname(coef(f)), se = unname(sqrt(v)), df_residual = f$df.residual)
}
ref$svyolr <- list(
  clus1_logit = olr(svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc), "logistic"),
  clus1_probit = olr(svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc), "probit")
)

# Calibration: post-stratification, raking, linear calibration (apiclus1, as in survey's examples).
dclus1 <- designs$clus1
pop_types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop_schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
cal_out <- function(d) list(
  weights = unname(weights(d)),
  mean_api00 = stat(svymean(~api00, d, deff = TRUE)),
  total_enroll = stat(svytotal(~enroll, d, deff = TRUE)),
  ratio_apistu_enroll = ratio_stat(svyratio(~api.stu, ~enroll, d, deff = TRUE)),
  by_mean_api00_stype = by_stat(svyby(~api00, ~stype, d, svymean, deff = TRUE)),
  mean_acsk3_narm = stat(svymean(~acs.k3, d, na.rm = TRUE)),
  glm_gaussian = glm_stat(svyglm(api00 ~ ell + meals + mobility, design = d))
)
dps <- postStratify(dclus1, ~stype, pop_types)
drk <- rake(dclus1, list(~stype, ~sch.wide), list(pop_types, pop_schwide),
            control = list(maxit = 100, epsilon = 1e-12, verbose = FALSE))
dcal <- calibrate(dclus1, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069))
# post-stratification of a two-stage design (the g-weight residuals go through the full multistage recursion)
dps2 <- postStratify(designs$clus2, ~stype, pop_types)
ref$calibration <- list(poststratify = cal_out(dps), rake = cal_out(drk), calibrate_linear = cal_out(dcal),
                        poststratify_clus2 = list(weights = unname(weights(dps2)),
                                                  mean_api00 = stat(svymean(~api00, dps2, deff = TRUE)),
                                                  total_enroll = stat(svytotal(~enroll, dps2, deff = TRUE))))

# Replicate weights.
rep_out <- function(r) list(
  scale = r$scale, rscales = r$rscales,
  mean_api00 = stat(svymean(~api00, r)),
  total_enroll = stat(svytotal(~enroll, r)),
  ratio_apistu_enroll = ratio_stat(svyratio(~api.stu, ~enroll, r)),
  by_mean_api00_stype = by_stat(svyby(~api00, ~stype, r, svymean), deff = FALSE),
  mean_acsk3_narm = stat(svymean(~acs.k3, r, na.rm = TRUE))
)
jk1 <- as.svrepdesign(dclus1, type = "JK1", compress = FALSE)
jk1_nofpc <- as.svrepdesign(designs$clus1_nofpc, type = "JK1", compress = FALSE)
set.seed(20240601)
boot <- as.svrepdesign(designs$strat, type = "bootstrap", replicates = 50, compress = FALSE)
bw <- as.data.frame(unclass(boot$repweights)); names(bw) <- paste0("rep", seq_len(ncol(bw)))
write.csv(bw, file.path(out_dir, "boot_repweights_strat.csv"), row.names = FALSE)
ref$replicate <- list(jk1_clus1 = rep_out(jk1), jk1_clus1_nofpc = rep_out(jk1_nofpc), boot_strat = rep_out(boot))

# Lonely PSUs: apiclus1 cut into three strata, one of which holds a single district.
lon <- apiclus1
u <- sort(unique(lon$dnum))
lon$str <- ifelse(lon$dnum == u[1], "A", ifelse(lon$dnum %in% u[2:8], "B", "C"))
write_csv(lon, "apiclus1_lonely.csv")
lonely <- list()
for (pol in c("remove", "adjust", "certainty", "average")) {
  options(survey.lonely.psu = pol)
  d <- svydesign(id = ~dnum, strata = ~str, weights = ~pw, data = lon)
  lonely[[pol]] <- list(mean_api00 = stat(svymean(~api00, d)), total_enroll = stat(svytotal(~enroll, d)))
}
options(survey.lonely.psu = "fail")
ref$lonely_psu <- lonely

# Scales: psych::alpha on the agreeableness items of bfi, A1 reverse-keyed (pairwise, as psych does by default).
agree <- bfi[, c("A1", "A2", "A3", "A4", "A5")]
write.csv(agree, file.path(out_dir, "bfi_agree.csv"), row.names = FALSE, na = "")
a <- psych::alpha(agree, keys = c("A1"))
ref$alpha <- list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, average_r = a$total$average_r,
                  item = rownames(a$alpha.drop), r_drop = a$item.stats$r.drop,
                  alpha_if_dropped = a$alpha.drop$raw_alpha, std_alpha_if_dropped = a$alpha.drop$std.alpha,
                  item_mean = a$item.stats$mean)
a_list <- psych::alpha(na.omit(agree), keys = c("A1"))
ref$alpha_listwise <- list(raw_alpha = a_list$total$raw_alpha, std_alpha = a_list$total$std.alpha,
                           average_r = a_list$total$average_r, r_drop = a_list$item.stats$r.drop,
                           alpha_if_dropped = a_list$alpha.drop$raw_alpha)
# One-factor McDonald omega: minres loadings from psych::fa on the (pairwise) correlation matrix, keyed items.
R <- cor(agree, use = "pairwise"); R[1, ] <- -R[1, ]; R[, 1] <- -R[, 1]
f1 <- psych::fa(R, nfactors = 1, fm = "minres", n.obs = nrow(agree))
lam <- as.vector(f1$loadings); u2 <- as.vector(f1$uniquenesses)
# psych's L-BFGS-B stops about 1e-3 short of the minimum-residual optimum, so the exact optimum is also computed by
# hand (BFGS on the off-diagonal residual sum of squares, analytic gradient, tight tolerance).
off <- row(R) != col(R)
ssr <- function(l) sum((R - l %o% l)[off]^2)
grad <- function(l) { E <- (R - l %o% l); E[!off] <- 0; -4 * drop(E %*% l) }
hand <- optim(lam, ssr, grad, method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))$par
ref$omega <- list(psych_loadings = lam, psych_omega_total = sum(lam)^2 / (sum(lam)^2 + sum(1 - lam^2)),
                  loadings = hand, omega_total = sum(hand)^2 / (sum(hand)^2 + sum(1 - hand^2)))

# Ordinal: ordinal::clm on wine (rating ~ temp + contact), logit and probit, model-based SEs.
data(wine, package = "ordinal")
write.csv(data.frame(rating = as.integer(wine$rating), temp = as.character(wine$temp),
                     contact = as.character(wine$contact)), file.path(out_dir, "wine.csv"), row.names = FALSE)
clm_out <- function(link) {
  m <- clm(rating ~ temp + contact, data = wine, link = link, control = clm.control(gradTol = 1e-10))
  s <- coef(summary(m))
  list(term = rownames(s), estimate = unname(s[, 1]), se = unname(s[, 2]), loglik = as.numeric(logLik(m)))
}
ref$clm <- list(logit = clm_out("logit"), probit = clm_out("probit"))

# Power: two-sample comparison of proportions (normal approximation, unpooled alternative variance).
ref$power <- list(prop_p1 = 0.70, prop_p2 = 0.78, alpha = 0.05, power = 0.8,
                  prop_n = power.prop.test(p1 = 0.70, p2 = 0.78, sig.level = 0.05, power = 0.8)$n)

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(out_dir, "survey_reference.json"))
cat("wrote", file.path(out_dir, "survey_reference.json"), "\n")
