# Reference values for evaluation.claims.consistency.rate_signatures: the exact conditional confidence interval of
# the rate ratio after/before for two Poisson counts with equal exposure (R stats::poisson.test, two-sample form).
# Run from the repository root:  Rscript tests/reference/claims/poisson_rate_ratio.R
# Writes tests/reference/claims/poisson_rate_ratio.json (committed; tests read it, never R).
pairs <- list(c(29, 19), c(58, 38), c(87, 57), c(400, 1), c(10, 0), c(5, 12))
rows <- lapply(pairs, function(p) {
  before <- p[1]; after <- p[2]
  t95 <- poisson.test(c(after, before), c(1, 1), conf.level = 0.95)
  t90 <- poisson.test(c(after, before), c(1, 1), conf.level = 0.90)
  sprintf('{"before": %d, "after": %d, "rate_ratio": %.15g, "ci95": [%.15g, %.15g], "ci90": [%.15g, %.15g]}',
          before, after, unname(t95$estimate), t95$conf.int[1], t95$conf.int[2], t90$conf.int[1], t90$conf.int[2])
})
out <- paste0('{"source": "R ', R.version$major, ".", R.version$minor,
              ' stats::poisson.test(c(after, before), c(1, 1))", "pairs": [\n  ',
              paste(rows, collapse = ",\n  "), "\n]}\n")
writeLines(out, "tests/reference/claims/poisson_rate_ratio.json", sep = "")
