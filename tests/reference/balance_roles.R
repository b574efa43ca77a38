# NPS by role on the demo client's responses, accounts as clusters (R survey package): each role a domain of the
# design, its difference from all other roles and decision makers' from other roles' (contrasts of two domains
# that share accounts), and the category x role chi-square with the first-order Rao-Scott correction.
# Reads balance_demo_responses.csv (tests/reference/balance_inputs.py), writes balance_roles_r.csv.
suppressPackageStartupMessages(library(survey))
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
d <- read.csv(file.path(here, "balance_demo_responses.csv"), stringsAsFactors = FALSE)
d$category <- factor(d$x)
des <- svydesign(ids = ~account, data = d, weights = rep(1, nrow(d)))
by <- svyby(~x, ~role, des, svymean, deff = "replace")
rows <- data.frame(what = "role", group = by$role, estimate = coef(by), se = SE(by), deff = by$DEff.x,
                   n = as.vector(table(d$role)[by$role]))
contrast <- function(flag, name) {
  des2 <- update(des, grp = factor(flag, levels = c(FALSE, TRUE)))
  b <- svyby(~x, ~grp, des2, svymean, covmat = TRUE)
  ch <- svycontrast(b, c(-1, 1))  # group minus the others
  data.frame(what = "contrast", group = name, estimate = coef(ch)[[1]], se = SE(ch)[[1]], deff = NA, n = sum(flag))
}
for (r in sort(unique(d$role))) rows <- rbind(rows, contrast(d$role == r, r))
rows <- rbind(rows, contrast(d$decision == 1, "decision makers"))
t <- svychisq(~role + category, des, statistic = "Chisq")
rows <- rbind(rows, data.frame(what = "chisq", group = "role x category", estimate = unname(t$statistic),
                               se = t$p.value, deff = NA, n = nrow(d)))
write.csv(rows, file.path(here, "balance_roles_r.csv"), row.names = FALSE)
