# Reference values for the community-clustered NB2 intervals of attendance by activity type
# (src/evaluation/indicators/counts.py: fit_negative_binomial(cluster=...); participation.attendance_by_type).
#
# Run from the repository root:   Rscript tests/reference/indicators/make_nb_cluster_reference.R
# Needs R >= 4.2 with MASS, sandwich and jsonlite (apt: r-base-core r-cran-mass r-cran-sandwich r-cran-jsonlite).
# It reads the committed fixture nb_activities.csv (written by make_reference.R: 400 activities of 12 communities)
# and writes nb_cluster_reference.json next to this script. R is never a runtime dependency: the tests only read
# this file.
suppressPackageStartupMessages({ library(MASS); library(sandwich); library(jsonlite) })
out_dir <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "tests/reference/indicators"
})
nb <- read.csv(file.path(out_dir, "nb_activities.csv"), stringsAsFactors = FALSE)
fit <- glm.nb(attendance ~ activity_type, data = nb, control = glm.control(epsilon = 1e-12, maxit = 200))
# The cluster-robust sandwich as sandwich documents it for a glm: HC1 ((n - 1) / (n - k)) and the cluster
# adjustment G / (G - 1); theta is held at its estimate, as in the Fisher-information covariance.
vc <- vcovCL(fit, cluster = ~community_id, type = "HC1", cadjust = TRUE)
G <- length(unique(nb$community_id))
b <- coef(fit)
se <- sqrt(diag(vc))
q <- qt(0.975, G - 1)
# each type's mean with its interval on the log scale, t(G - 1), as attendance_by_type reports it
types <- sort(unique(nb$activity_type))
X <- t(sapply(types, function(tp) as.numeric(c(1, types[-1] == tp))))
eta <- drop(X %*% b)
eta_se <- sqrt(diag(X %*% vc %*% t(X)))
ref <- list(terms = names(b), estimate = unname(b), se = unname(se), cov = unname(vc), clusters = G, df = G - 1,
            p_value = unname(2 * pt(-abs(b / se), G - 1)),
            means = list(level = types, mean = unname(exp(eta)), log_se = unname(eta_se),
                         ci95 = unname(cbind(exp(eta - q * eta_se), exp(eta + q * eta_se)))),
            iid_se = unname(sqrt(diag(vcov(fit)))),
            meta = list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                        sandwich = as.character(packageVersion("sandwich"))))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "nb_cluster_reference.json"))
cat("wrote", file.path(out_dir, "nb_cluster_reference.json"), "\n")
