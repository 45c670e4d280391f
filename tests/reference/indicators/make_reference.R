# Reference values for the indicator routines (src/evaluation/indicators).
#
# Run from the repository root:   Rscript tests/reference/indicators/make_reference.R
# Needs R >= 4.2 with MASS, survival and jsonlite. It writes, next to this script:
#   - the fixtures R used (nb_activities.csv, km_grid_events.csv, its_petitions.csv, its_population.csv), drawn
#     here with a fixed seed so that the Python tests read exactly what R read;
#   - indicators_reference.json, the numbers the tests compare against.
# R is never a runtime dependency: the tests only read these files.
suppressPackageStartupMessages({ library(MASS); library(survival); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/indicators"
})
set.seed(20240531)
ref <- list()

## 1. Intervals: Wilson (prop.test without continuity correction), Garwood (poisson.test), exact rate ratio.
wil <- function(x, n) unname(prop.test(x, n, correct = FALSE)$conf.int[1:2])
ref$wilson <- lapply(list(c(81, 263), c(0, 10), c(10, 10), c(266, 516), c(358, 516), c(3, 7)),
                     function(v) list(x = v[1], n = v[2], ci95 = wil(v[1], v[2]),
                                      ci90 = unname(prop.test(v[1], v[2], correct = FALSE,
                                                              conf.level = 0.9)$conf.int[1:2])))
ref$poisson <- lapply(list(c(0, 1), c(1, 1), c(38, 1), c(16295, 51.5), c(58, 3.2)),
                      function(v) list(x = v[1], t = v[2],
                                       ci95 = unname(poisson.test(v[1], v[2])$conf.int[1:2]),
                                       ci99 = unname(poisson.test(v[1], v[2], conf.level = 0.99)$conf.int[1:2])))
ref$rate_ratio <- lapply(list(c(38, 58, 1, 1), c(38, 58, 51.5, 47.0), c(5, 0, 1, 1), c(120, 80, 2, 1)),
                         function(v) { p <- poisson.test(v[1:2], v[3:4])
                           list(x = v[1], y = v[2], tx = v[3], ty = v[4], estimate = unname(p$estimate),
                                ci95 = unname(p$conf.int[1:2]), p_value = p$p.value) })

## 2. NB2 regression of attendance on activity type: MASS::glm.nb with tight convergence.
types <- c("culture", "elderly_care", "health", "sports", "youth")
mu_type <- c(culture = 60, elderly_care = 45, health = 30, sports = 85, youth = 70)
nb <- data.frame(activity_id = sprintf("A%04d", 1:400),
                 activity_type = sample(types, 400, replace = TRUE, prob = c(.3, .25, .15, .2, .1)))
nb$community_id <- sprintf("C%02d", sample(1:12, 400, replace = TRUE))
nb$attendance <- rnbinom(400, size = 2.5, mu = mu_type[nb$activity_type])
write.csv(nb, file.path(out_dir, "nb_activities.csv"), row.names = FALSE)
fit <- glm.nb(attendance ~ activity_type, data = nb, control = glm.control(epsilon = 1e-12, maxit = 200))
co <- summary(fit)$coefficients
ref$nb <- list(terms = rownames(co), estimate = unname(co[, 1]), se = unname(co[, 2]), theta = fit$theta,
               theta_se = fit$SE.theta, loglik = as.numeric(logLik(fit)), n = nrow(nb))

## 3. Kaplan-Meier time to close (hours) with open events censored at the data cut-off.
cutoff <- as.POSIXct("2024-12-31 23:59:59", tz = "UTC")
n_ev <- 600
cats <- c("environment", "dispute", "safety")
rep_at <- as.POSIXct("2024-01-01 00:00:00", tz = "UTC") + round(runif(n_ev, 0, 364 * 24)) * 3600
hours <- round(rweibull(n_ev, shape = 0.9, scale = c(environment = 30, dispute = 70, safety = 20)[
  ev_cat <- sample(cats, n_ev, replace = TRUE)]))
closed_at <- rep_at + hours * 3600
open <- runif(n_ev) < 0.06 | closed_at > cutoff          # some still open; some closed after the cut-off
late_closed <- closed_at > cutoff & runif(n_ev) < 0.5      # closed after the cut-off: censored at the cut-off
status <- ifelse(open & !late_closed, "open", "closed")
closed_str <- ifelse(status == "closed", format(closed_at, "%Y-%m-%d %H:%M:%S"), "")
km <- data.frame(event_id = sprintf("E%05d", 1:n_ev), community_id = sprintf("C%02d", sample(1:5, n_ev, TRUE)),
                 category = ev_cat, reported_at = format(rep_at, "%Y-%m-%d %H:%M:%S"),
                 closed_at = closed_str, status = status)
# a tiny category with a flat spot exactly at S = 0.5 (R takes the midpoint of the flat)
tiny <- data.frame(event_id = sprintf("T%03d", 1:4), community_id = "C01", category = "flat",
                   reported_at = "2024-03-01 08:00:00",
                   closed_at = c("2024-03-01 09:00:00", "2024-03-01 10:00:00", "2024-03-01 12:00:00",
                                 "2024-03-01 16:00:00"), status = "closed")
km <- rbind(km, tiny)
write.csv(km, file.path(out_dir, "km_grid_events.csv"), row.names = FALSE)
rep_t <- as.POSIXct(km$reported_at, tz = "UTC")
cl_t <- as.POSIXct(ifelse(km$closed_at == "", NA, km$closed_at), tz = "UTC")
event <- km$status == "closed" & !is.na(cl_t) & cl_t <= cutoff
end_t <- ifelse(event, as.numeric(cl_t), as.numeric(cutoff))
km$time <- (end_t - as.numeric(rep_t)) / 3600
km$event <- as.integer(event)
km_ref <- function(sf) {
  q <- quantile(sf, probs = c(0.25, 0.5, 0.75))
  s <- summary(sf, censored = FALSE)
  list(n = sf$n, n_event = sum(sf$n.event), quantile = unname(q$quantile), lower = unname(q$lower),
       upper = unname(q$upper), time = s$time, surv = s$surv, std_err = s$std.err, ci_low = s$lower,
       ci_high = s$upper, n_risk = s$n.risk)
}
ref$km <- list(all = km_ref(survfit(Surv(time, event) ~ 1, data = km)), by_category = list())
for (cc in sort(unique(km$category)))
  ref$km$by_category[[cc]] <- km_ref(survfit(Surv(time, event) ~ 1, data = km[km$category == cc, ]))
sf_ll <- survfit(Surv(time, event) ~ 1, data = km, conf.type = "log-log")
q_ll <- quantile(sf_ll, probs = 0.5)
ref$km$loglog_median <- list(quantile = unname(q_ll$quantile), lower = unname(q_ll$lower),
                             upper = unname(q_ll$upper))

## 4. Interrupted time series of monthly real-estate petitions, 2017-01 .. 2024-12, change at 2021-01-01.
years <- 2016:2025
pop <- data.frame(community_id = "C01", year = years, resident_pop = round(150000 * 1.1^(years - 2016)))
write.csv(pop, file.path(out_dir, "its_population.csv"), row.names = FALSE)
months <- seq(as.Date("2017-01-01"), as.Date("2024-12-01"), by = "month")
mi <- as.integer(format(months, "%Y")) * 12 + as.integer(format(months, "%m")) - 1
pop_m <- approx(pop$year * 12 + 6, pop$resident_pop, xout = mi, rule = 2)$y
days <- as.integer(format(seq(months[1], by = "month", length.out = length(months) + 1)[-1] - 1, "%d"))
expo <- pop_m * days / 365.25
t <- seq_along(months) - 1
post <- as.integer(months >= as.Date("2021-01-01"))
tpost <- pmax(0, t - t[which(post == 1)[1]])
mth <- as.integer(format(months, "%m"))
lam <- expo * 2.2e-4 * exp(0.004 * t - 0.25 * post - 0.01 * tpost + 0.15 * sin(2 * pi * mth / 12))
cnt <- rnbinom(length(months), size = 40, mu = lam)
# expand the monthly counts into petition cases on random days of each month
cases <- do.call(rbind, lapply(seq_along(months), function(i) {
  if (cnt[i] == 0) return(NULL)
  data.frame(received_date = format(months[i] + sample(0:(days[i] - 1), cnt[i], TRUE), "%Y-%m-%d"))
}))
cases$case_id <- sprintf("P%05d", seq_len(nrow(cases)))
cases$community_id <- "C01"
cases$category <- "real_estate"
cases$real_estate_related <- 1L
# unrelated petitions must not enter the series
other <- data.frame(received_date = format(sample(months, 50, TRUE) + 3, "%Y-%m-%d"),
                    case_id = sprintf("Q%05d", 1:50), community_id = "C01", category = "labour",
                    real_estate_related = 0L)
write.csv(rbind(cases, other)[, c("case_id", "community_id", "received_date", "category", "real_estate_related")],
          file.path(out_dir, "its_petitions.csv"), row.names = FALSE)
its <- data.frame(count = cnt, t = t, post = post, tpost = tpost, expo = expo,
                  s1 = sin(2 * pi * mth / 12), c1 = cos(2 * pi * mth / 12),
                  s2 = sin(4 * pi * mth / 12), c2 = cos(4 * pi * mth / 12))
its_ref <- function(fam) {
  f <- glm(count ~ t + post + tpost + s1 + c1 + s2 + c2 + offset(log(expo)), family = fam, data = its,
           control = glm.control(epsilon = 1e-14, maxit = 100))
  co <- summary(f)$coefficients
  list(terms = rownames(co), estimate = unname(co[, 1]), se = unname(co[, 2]),
       dispersion = summary(f)$dispersion)
}
ref$its <- list(months = format(months, "%Y-%m"), count = cnt, exposure = expo, poisson = its_ref(poisson()),
                quasipoisson = its_ref(quasipoisson()))

ref$meta <- list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                 survival = as.character(packageVersion("survival")))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           file.path(out_dir, "indicators_reference.json"))
cat("wrote", file.path(out_dir, "indicators_reference.json"), "\n")
