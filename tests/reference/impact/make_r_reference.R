# Reference values for tests/impact (ITS on Sicily; TWFE on mpdta) from base R, MASS and sandwich.
# Run from the repository root:  Rscript tests/reference/impact/make_r_reference.R
# Writes tests/reference/impact/its_sicily_r.json and twfe_mpdta_r.json. R is not needed to run the tests.
suppressPackageStartupMessages({library(MASS); library(jsonlite); library(sandwich)})
shared <- Sys.getenv("JINLIN_SHARED", "/work/shared")
out_dir <- "tests/reference/impact"

# ---- ITS: Lopez Bernal, Cummins & Gasparrini (2017), github gasparrini/2017_lopezbernal_IJE_codedata Rcode.R
sicily <- read.csv(file.path(shared, "data", "sicily.csv"))
# tsModel::harmonic(x, nfreq, period): sin(2*pi*k*x/period) columns then cos columns (tsModel is not installed)
harmonic <- function(x, nfreq, period) {
  M <- outer(2 * pi * x / period, 1:nfreq)
  cbind(apply(M, 2, sin), apply(M, 2, cos))
}
ctl <- glm.control(epsilon = 1e-12, maxit = 100)
sicily$slope <- (sicily$time - 36) * sicily$smokban
H <- harmonic(sicily$month, 2, 12)
sicily$sin1 <- H[, 1]; sicily$sin2 <- H[, 2]; sicily$cos1 <- H[, 3]; sicily$cos2 <- H[, 4]
tab <- function(m, name_map) {
  s <- summary(m)$coefficients
  list(term = unname(name_map[rownames(s)]), estimate = unname(s[, 1]), se = unname(s[, 2]))
}
nm <- c("(Intercept)" = "const", time = "time", smokban = "level", slope = "slope",
        sin1 = "sin1", sin2 = "sin2", cos1 = "cos1", cos2 = "cos2")
m1 <- glm(aces ~ offset(log(stdpop)) + time + smokban, family = poisson, data = sicily, control = ctl)
m2 <- glm(aces ~ offset(log(stdpop)) + time + smokban, family = quasipoisson, data = sicily, control = ctl)
m3 <- glm(aces ~ offset(log(stdpop)) + time + smokban + sin1 + sin2 + cos1 + cos2, family = quasipoisson,
          data = sicily, control = ctl)
m4 <- glm(aces ~ offset(log(stdpop)) + time + smokban + slope + sin1 + sin2 + cos1 + cos2,
          family = quasipoisson, data = sicily, control = ctl)
m5 <- glm.nb(aces ~ offset(log(stdpop)) + time + smokban + sin1 + sin2 + cos1 + cos2, data = sicily,
             control = ctl)
its <- list(
  r_version = R.version.string, mass_version = as.character(packageVersion("MASS")),
  model1_poisson = c(tab(m1, nm), dispersion = 1),
  model2_quasipoisson = c(tab(m2, nm), dispersion = summary(m2)$dispersion),
  model3_quasipoisson_harmonic = c(tab(m3, nm), dispersion = summary(m3)$dispersion),
  model4_quasipoisson_slope = c(tab(m4, nm), dispersion = summary(m4)$dispersion),
  model5_negbin_harmonic = c(tab(m5, nm), theta = m5$theta)
)
write(toJSON(its, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "its_sicily_r.json"))

# ---- TWFE on mpdta: lm with unit and year dummies, CR1 clustered by county with fixest's nested-FE df
mp <- read.csv(file.path(shared, "data", "mpdta.csv"))
mp$D <- as.numeric(mp$first.treat > 0 & mp$year >= mp$first.treat)
fit <- lm(lemp ~ D + factor(countyreal) + factor(year), data = mp)
G <- length(unique(mp$countyreal)); n <- nrow(mp)
k_nested <- length(coef(fit)) - (G - 1)
V0 <- vcovCL(fit, cluster = ~countyreal, type = "HC0", cadjust = FALSE)
V <- V0 * G / (G - 1) * (n - 1) / (n - k_nested)
e <- ifelse(mp$first.treat > 0, mp$year - mp$first.treat, NA)
lv <- sort(setdiff(unique(e[!is.na(e)]), -1))
for (k in lv) mp[[paste0("e", k + 10)]] <- as.numeric(!is.na(e) & e == k)
es_terms <- paste0("e", lv + 10)
fit_es <- lm(as.formula(paste("lemp ~", paste(es_terms, collapse = "+"), "+ factor(countyreal) + factor(year)")),
             data = mp)
k_es <- length(coef(fit_es)) - (G - 1)
Ves <- vcovCL(fit_es, cluster = ~countyreal, type = "HC0", cadjust = FALSE) * G / (G - 1) * (n - 1) / (n - k_es)
twfe <- list(
  sandwich_version = as.character(packageVersion("sandwich")),
  static = list(estimate = unname(coef(fit)["D"]), se = sqrt(V["D", "D"])),
  event_study = list(event_time = lv, estimate = unname(coef(fit_es)[es_terms]),
                     se = unname(sqrt(diag(Ves)[es_terms])))
)
write(toJSON(twfe, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "twfe_mpdta_r.json"))
