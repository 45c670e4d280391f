# Reference values for the petitions' ITS (evaluation.impact.its.interrupted_time_series on the monthly series of
# evaluation.indicators.petitions): fitted and counterfactual monthly counts of the segmented quasi-Poisson ITS,
# from R glm + predict. Run from the project root:
#   Rscript tests/reference/its_curves/make_reference.R
# It reads the monthly series that tests/reference/indicators/make_reference.R wrote (months, counts, exposure),
# so both references describe the same data, and writes its_curves.json next to this script.
# R is never a runtime dependency: the tests only read the JSON.
suppressPackageStartupMessages(library(jsonlite))
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/its_curves"
})
src <- fromJSON(file.path(out_dir, "..", "indicators", "indicators_reference.json"))$its
months <- as.Date(paste0(src$months, "-01"))
t <- seq_along(months) - 1
post <- as.integer(months >= as.Date("2021-01-01"))
tpost <- pmax(0, t - t[which(post == 1)[1]])
mth <- as.integer(format(months, "%m"))
d <- data.frame(count = src$count, t = t, post = post, tpost = tpost, expo = src$exposure,
                s1 = sin(2 * pi * mth / 12), c1 = cos(2 * pi * mth / 12),
                s2 = sin(4 * pi * mth / 12), c2 = cos(4 * pi * mth / 12))
f <- glm(count ~ t + post + tpost + s1 + c1 + s2 + c2 + offset(log(expo)), family = quasipoisson(), data = d,
         control = glm.control(epsilon = 1e-14, maxit = 100))
cf <- transform(d, post = 0, tpost = 0)
ref <- list(intervention = "2021-01-01", months = src$months,
            fitted = unname(predict(f, type = "response")),
            counterfactual = unname(predict(f, newdata = cf, type = "response")),
            meta = list(R = R.version.string))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "its_curves.json"))
cat("wrote", file.path(out_dir, "its_curves.json"), "\n")
