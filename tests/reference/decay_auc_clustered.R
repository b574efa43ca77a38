# AUC of the score for retention with intervals for clustered responses (R: pROC + survey), on the demo's
# score-staleness responses. Reads decay_staleness.csv (tests/reference/decay_inputs.py), writes
# decay_auc_clustered_r.csv, one row per age band and one for all bands together:
#   auc, se_delong     pROC::auc and pROC::var(method = "delong"): responses treated as independent
#   se_clustered       accounts as clusters: pROC's DeLong placement values (pROC:::delongPlacements) of the
#                      churned and of the retained responses, each averaged with survey::svymean over a design
#                      with the accounts as clusters; var = SE(churned)^2 + SE(retained)^2. Each account holds one
#                      outcome, so this is Obuchowski's (1997) variance (S11 = 0)
#   se_jackknife       leave-one-account-out jackknife of pROC::auc (another estimator: close, not equal)
#   n, accounts, n_churned
# and a row "mixed clusters": all responses with clusters of about 14 accounts each (account number modulo 40),
# which mix churned and retained responses: se_clustered is then svytotal's SE of the linearised AUC
# (u = (placement - AUC) / M for churned, / N for retained), Obuchowski's variance with S11 != 0.
suppressPackageStartupMessages({library(pROC); library(survey)})
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "decay_staleness.csv"), stringsAsFactors = FALSE)

fit <- function(g) roc(response = g$churned, predictor = g$score, levels = c(0, 1), direction = ">", quiet = TRUE)

placements <- function(g) {
  r <- fit(g)
  p <- pROC:::delongPlacements(r)
  g$v <- NA_real_
  g$v[g$churned == 1] <- p$X  # in the order of the data, as pROC takes the cases and controls
  g$v[g$churned == 0] <- p$Y
  list(r = r, g = g, theta = p$theta)
}

one <- function(g, group) {
  p <- placements(g)
  cases <- p$g[p$g$churned == 1, ]
  controls <- p$g[p$g$churned == 0, ]
  se_x <- SE(svymean(~v, svydesign(ids = ~account, data = cases, weights = rep(1, nrow(cases)))))[[1]]
  se_y <- SE(svymean(~v, svydesign(ids = ~account, data = controls, weights = rep(1, nrow(controls)))))[[1]]
  accs <- unique(g$account)
  th <- vapply(accs, function(a) as.numeric(auc(fit(g[g$account != a, ]))), numeric(1))
  G <- length(accs)
  data.frame(group = group, auc = as.numeric(auc(p$r)), se_delong = sqrt(var(p$r, method = "delong")),
             se_clustered = sqrt(se_x^2 + se_y^2), se_jackknife = sqrt((G - 1) / G * sum((th - mean(th))^2)),
             n = nrow(g), accounts = G, n_churned = sum(g$churned == 1))
}

rows <- do.call(rbind, lapply(c("0-3 months", "3-6 months", "6-12 months", "12+ months"),
                              function(b) one(d[d$band == b, ], b)))
rows <- rbind(rows, one(d, "all"))

p <- placements(d)
m <- sum(d$churned == 1)
n <- sum(d$churned == 0)
p$g$u <- ifelse(p$g$churned == 1, (p$g$v - p$theta) / m, (p$g$v - p$theta) / n)
p$g$mixed <- as.integer(sub("^A", "", p$g$account)) %% 40
tot <- svytotal(~u, svydesign(ids = ~mixed, data = p$g, weights = rep(1, nrow(p$g))))
rows <- rbind(rows, data.frame(group = "mixed clusters", auc = p$theta, se_delong = sqrt(var(p$r, method = "delong")),
                               se_clustered = SE(tot)[[1]], se_jackknife = NA, n = nrow(d),
                               accounts = length(unique(p$g$mixed)), n_churned = m))
write.csv(rows, file.path(here, "decay_auc_clustered_r.csv"), row.names = FALSE)
