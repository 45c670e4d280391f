# Randomized differential test of the survey engine against R survey (issue 15).
#
# Run from the repository root:   Rscript tests/reference/survey/make_differential_reference.R
# Needs R >= 4.2 with survey and jsonlite. Draws 30 random designs (seeded) of every kind the engine supports —
# stratified, clustered, stratified-clustered, two-stage with and without fpc, one-PSU strata under each lonely-PSU
# policy, missing values, tiny domains — and writes their data, specification and R's estimates, SEs, CI bounds,
# design effects and degrees of freedom to differential_reference.json. tests/survey/test_survey_differential.py
# rebuilds each design with SurveyDesign and compares. R is never a runtime dependency.
suppressPackageStartupMessages({ library(survey); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/survey"
})
set.seed(20261207)
kinds <- c("strat", "strat_fpc", "clus", "clus_fpc", "stratclus", "stratclus_fpc", "twostage_fpc", "twostage_w")
lonely_policies <- c("adjust", "average", "remove", "certainty")

draw <- function(kind, lonely, missing, tiny) {
  H <- if (grepl("^strat", kind)) sample(2:5, 1) else 1
  rows <- list()
  for (h in seq_len(H)) {
    n_psu <- sample(2:6, 1)
    if (lonely && h == 1 && grepl("^stratclus", kind)) n_psu <- 1
    N_psu <- n_psu * sample(2:4, 1)
    for (p in seq_len(n_psu)) {
      m <- if (grepl("^strat$|^strat_fpc$", kind)) 1 else sample(2:5, 1)
      N_ssu <- m * sample(1:3, 1)
      for (s in seq_len(m)) {
        k <- if (grepl("^twostage", kind)) sample(1:4, 1) else 1
        rows[[length(rows) + 1]] <- data.frame(s = h, psu = p + 100 * h, ssu = s, fpc1 = N_psu,
                                               fpc2 = N_ssu, k = seq_len(k))
      }
    }
  }
  d <- do.call(rbind, rows)
  if (grepl("^strat$|^strat_fpc$", kind)) {       # element sampling: the "PSU" is the unit; fpc = stratum size
    d$fpc1 <- ave(d$psu, d$s, FUN = length) * sample(2:5, 1)
  }
  n <- nrow(d)
  d$w <- round(runif(n, 1, 20), 3)
  psu_eff <- rnorm(max(d$psu))[d$psu]
  d$x <- round(runif(n, 1, 10), 3)
  d$y <- round(50 + 5 * d$s + 8 * psu_eff + 2 * d$x + rnorm(n, 0, 10), 3)
  d$b <- as.numeric(d$y + rnorm(n, 0, 10) > median(d$y))
  d$dom <- sample(c("a", "b", "c"), n, replace = TRUE)
  if (tiny) d$dom[sample.int(n, sample(1:2, 1))] <- "t"
  if (missing) {
    d$y[sample.int(n, max(1, n %/% 10))] <- NA
    d$b[sample.int(n, max(1, n %/% 12))] <- NA
  }
  d
}

design_of <- function(kind, d) {
  switch(kind,
    strat = svydesign(ids = ~1, strata = ~s, weights = ~w, data = d),
    strat_fpc = svydesign(ids = ~1, strata = ~s, fpc = ~fpc1, data = d),
    clus = svydesign(ids = ~psu, weights = ~w, data = d),
    clus_fpc = svydesign(ids = ~psu, weights = ~w, fpc = ~fpc1, data = d),
    stratclus = svydesign(ids = ~psu, strata = ~s, weights = ~w, nest = TRUE, data = d),
    stratclus_fpc = svydesign(ids = ~psu, strata = ~s, weights = ~w, fpc = ~fpc1, nest = TRUE, data = d),
    twostage_fpc = svydesign(ids = ~psu + ssu, fpc = ~fpc1 + fpc2, data = d),
    twostage_w = svydesign(ids = ~psu + ssu, weights = ~w, data = d))
}
spec_of <- function(kind) {
  switch(kind,
    strat = list(ids = NULL, strata = "s", weights = "w", fpc = NULL, nest = FALSE),
    strat_fpc = list(ids = NULL, strata = "s", weights = NULL, fpc = "fpc1", nest = FALSE),
    clus = list(ids = "psu", strata = NULL, weights = "w", fpc = NULL, nest = FALSE),
    clus_fpc = list(ids = "psu", strata = NULL, weights = "w", fpc = "fpc1", nest = FALSE),
    stratclus = list(ids = "psu", strata = "s", weights = "w", fpc = NULL, nest = TRUE),
    stratclus_fpc = list(ids = "psu", strata = "s", weights = "w", fpc = "fpc1", nest = TRUE),
    twostage_fpc = list(ids = c("psu", "ssu"), strata = NULL, weights = NULL, fpc = c("fpc1", "fpc2"), nest = FALSE),
    twostage_w = list(ids = c("psu", "ssu"), strata = NULL, weights = "w", fpc = NULL, nest = FALSE))
}
safe <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) list(error = conditionMessage(e)))
stat <- function(s) {
  ci <- confint(s)
  d <- attr(s, "deff")
  list(estimate = unname(coef(s)), se = as.vector(unname(SE(s))), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), deff = if (is.null(d)) NULL else unname(diag(as.matrix(d))))
}

cases <- list()
n_lonely <- 0
for (i in 1:30) {
  kind <- kinds[(i - 1) %% length(kinds) + 1]
  # Stratified cluster designs after the first get a one-PSU stratum and missing values, cycling the policies,
  # so that every lonely-PSU policy meets missing values.
  lonely <- grepl("^stratclus", kind) && i > 6
  policy <- lonely_policies[(i %/% 3) %% length(lonely_policies) + 1]
  if (lonely) {
    policy <- lonely_policies[n_lonely %% length(lonely_policies) + 1]
    n_lonely <- n_lonely + 1
  }
  missing <- i %% 2 == 0 || lonely
  tiny <- i %% 4 != 1
  d <- draw(kind, lonely, missing, tiny)
  options(survey.lonely.psu = policy)
  des <- design_of(kind, d)
  doms <- sort(unique(d$dom))
  res <- list(
    degf = degf(des),
    mean_y = safe(stat(svymean(~y, des, na.rm = TRUE, deff = TRUE))),
    total_y = safe(stat(svytotal(~y, des, na.rm = TRUE, deff = TRUE))),
    ratio_y_x = safe({
      r <- svyratio(~y, ~x, des, na.rm = TRUE)
      est <- as.vector(r$ratio); se <- sqrt(as.vector(r$var))
      list(estimate = est, se = se, ci_low = est - qnorm(0.975) * se, ci_high = est + qnorm(0.975) * se)
    }),
    by_mean_y = safe({
      b <- svyby(~y, ~dom, des, svymean, na.rm = TRUE, deff = TRUE)
      ci <- confint(b)
      list(level = as.character(b$dom), estimate = unname(coef(b)), se = unname(SE(b)), ci_low = unname(ci[, 1]),
           ci_high = unname(ci[, 2]), deff = unname(deff(b)))
    }),
    by_total_y = safe({
      b <- svyby(~y, ~dom, des, svytotal, na.rm = TRUE)
      ci <- confint(b)
      list(level = as.character(b$dom), estimate = unname(coef(b)), se = unname(SE(b)), ci_low = unname(ci[, 1]),
           ci_high = unname(ci[, 2]))
    }),
    domain_t_y = safe({
      rows <- lapply(doms, function(l) {
        sub <- subset(des, dom == l)
        s <- svymean(~y, sub, na.rm = TRUE)
        df <- degf(sub)
        ci <- if (df > 0) confint(s, df = df) else matrix(NA_real_, 1, 2)
        c(unname(coef(s)), unname(SE(s)), ci[1, 1], ci[1, 2], df)
      })
      m <- do.call(rbind, rows)
      list(level = doms, estimate = m[, 1], se = m[, 2], ci_low = m[, 3], ci_high = m[, 4], df = m[, 5])
    }),
    quantile_y = safe({
      q <- svyquantile(~y, des, 0.5, ci = TRUE, na.rm = TRUE)[[1]]
      list(estimate = unname(q[, 1]), ci_low = unname(q[, 2]), ci_high = unname(q[, 3]), se = unname(q[, 4]))
    }),
    ciprop_b = safe({
      p <- svyciprop(~b, des, method = "logit", na.rm = TRUE)
      ci <- attr(p, "ci")
      list(estimate = unname(as.numeric(p)), se = unname(sqrt(attr(p, "var")[1])), ci_low = unname(ci[1]),
           ci_high = unname(ci[2]))
    })
  )
  cases[[i]] <- list(id = i, kind = kind, lonely_psu = policy, spec = spec_of(kind),
                     data = as.list(d[, c("s", "psu", "ssu", "w", "fpc1", "fpc2", "x", "y", "b", "dom")]),
                     results = res)
}
ref <- list(meta = list(R = R.version.string, survey = as.character(packageVersion("survey")), seed = 20261207),
            cases = cases)
writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = FALSE, na = "null", null = "null"),
           file.path(out_dir, "differential_reference.json"))
