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
# Degrees of freedom: those of the clusters a figure rests on (see src/evaluation/indicators/counts.py). A level's
# mean rests on its own rows, so on the communities that held the type: t(G_j - 1). A contrast rests on its level and
# the reference level (the fewer communities of the two, less one); the intercept on the reference level.
types <- sort(unique(nb$activity_type))
held <- sapply(types, function(tp) length(unique(nb$community_id[nb$activity_type == tp])))
df_term <- c(held[1], pmin(held[-1], held[1])) - 1
X <- t(sapply(types, function(tp) as.numeric(c(1, types[-1] == tp))))
eta <- drop(X %*% b)
eta_se <- sqrt(diag(X %*% vc %*% t(X)))
q <- qt(0.975, held - 1)
ref <- list(terms = names(b), estimate = unname(b), se = unname(se), cov = unname(vc), clusters = G, df = G - 1,
            df_term = unname(df_term), p_value = unname(2 * pt(-abs(b / se), df_term)),
            means = list(level = types, mean = unname(exp(eta)), log_se = unname(eta_se), df = unname(held - 1),
                         ci95 = unname(cbind(exp(eta - q * eta_se), exp(eta + q * eta_se)))),
            iid_se = unname(sqrt(diag(vcov(fit)))),
            meta = list(R = R.version.string, MASS = as.character(packageVersion("MASS")),
                        sandwich = as.character(packageVersion("sandwich"))))
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(out_dir, "nb_cluster_reference.json"))
cat("wrote", file.path(out_dir, "nb_cluster_reference.json"), "\n")
