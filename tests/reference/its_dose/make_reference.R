# Reference values for the dose design of evaluation.impact.its.interrupted_time_series and for
# evaluation.indicators.petitions.adoption_share: the petitions' ITS with the adopted share of communities as a
# continuous exposure. Run from the project root:
#   Rscript tests/reference/its_dose/make_reference.R
# It reads the monthly series that tests/reference/indicators/make_reference.R wrote (months, counts, exposure),
# writes a small roll-out fixture (its_rollout.csv, its_communities.csv), computes the adopted share by month from
# it, fits glm(quasipoisson), glm(poisson) with sandwich::NeweyWest and MASS::glm.nb, and writes its_dose.json.
# R is never a runtime dependency: the tests only read the files.
suppressPackageStartupMessages({library(jsonlite); library(MASS); library(sandwich)})
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/its_dose"
})
src <- fromJSON(file.path(out_dir, "..", "indicators", "indicators_reference.json"))$its
set.seed(20241207)
# 40 current communities, 3 never adopt; a legacy community (ended 2019) and another component must not count;
# C05 has a second, later jinlin_model row (the first start date is the adoption)
cur <- sprintf("C%02d", 1:40)
adopt_month <- seq(as.Date("2019-06-01"), as.Date("2024-06-01"), by = "month")
starts <- sample(adopt_month, 37, TRUE) + sample(0:27, 37, TRUE)
rollout <- rbind(
  data.frame(community_id = cur[1:37], component = "jinlin_model", start_date = format(starts, "%Y-%m-%d")),
  data.frame(community_id = "C05", component = "jinlin_model", start_date = format(starts[5] + 400, "%Y-%m-%d")),
  data.frame(community_id = "C38", component = "party_service_station", start_date = "2018-03-01"),
  data.frame(community_id = "L01", component = "jinlin_model", start_date = "2018-05-10"))
comms <- data.frame(community_id = c("L01", cur), valid_to = c("2019-12-31", rep(NA, 40)))
write.csv(rollout, file.path(out_dir, "its_rollout.csv"), row.names = FALSE)
write.csv(comms, file.path(out_dir, "its_communities.csv"), row.names = FALSE, na = "")

first <- tapply(as.Date(rollout$start_date), rollout$community_id, min)[cur[1:37]]
first_month <- format(as.Date(first, origin = "1970-01-01"), "%Y-%m")
share <- sapply(src$months, function(m) sum(first_month <= m)) / length(cur)

months <- as.Date(paste0(src$months, "-01"))
mth <- as.integer(format(months, "%m"))
d <- data.frame(count = src$count, time = seq_along(months), share = share, expo = src$exposure,
                sin1 = sin(2 * pi * mth / 12), sin2 = sin(4 * pi * mth / 12),
                cos1 = cos(2 * pi * mth / 12), cos2 = cos(4 * pi * mth / 12))
form <- count ~ time + share + sin1 + sin2 + cos1 + cos2 + offset(log(expo))
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
cf_data <- transform(d, share = 0)
band <- function(f, q) {
  p <- predict(f, newdata = cf_data, type = "link", se.fit = TRUE)
  list(counterfactual = unname(exp(p$fit)), cf_low = unname(exp(p$fit - q * p$se.fit)),
       cf_high = unname(exp(p$fit + q * p$se.fit)))
}
fq <- glm(form, family = quasipoisson(), data = d, control = ctl)
co <- summary(fq)$coefficients
quasi <- c(list(terms = rownames(co), estimate = unname(co[, 1]), se = unname(co[, 2]),
                dispersion = summary(fq)$dispersion), band(fq, qt(0.975, fq$df.residual)))
fp <- glm(form, family = poisson(), data = d, control = ctl)
nw <- list(lag = 4, se = unname(sqrt(diag(NeweyWest(fp, lag = 4, prewhite = FALSE, adjust = FALSE)))))
fn <- glm.nb(form, data = d, control = glm.control(epsilon = 1e-14, maxit = 200))
con <- summary(fn)$coefficients
nb <- c(list(terms = rownames(con), estimate = unname(con[, 1]), se = unname(con[, 2]), theta = fn$theta),
        band(fn, qnorm(0.975)))
ref <- list(months = src$months, share = unname(share), quasipoisson = quasi, newey_west_poisson = nw, negbin = nb,
            meta = list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                        sandwich = as.character(packageVersion("sandwich"))))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out_dir, "its_dose.json"))
cat("wrote", file.path(out_dir, "its_dose.json"), "\n")
