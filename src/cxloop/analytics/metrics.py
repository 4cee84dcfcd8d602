"""Pure statistics core for cxloop's customer-experience metrics.

Everything here takes plain numbers and returns frozen dataclasses, so the same code serves
the ORM layer (which feeds it SQL aggregates such as ``COUNT``, ``SUM(x)``, ``SUM(x*x)``),
exports and tests. It deliberately imports nothing outside the standard library.

Conventions used throughout:

* Percentages and NPS points are on a 0-100 (or -100..100) scale; ``variance`` fields are in
  *proportion* units (0-1 scale) for NPS and proportions, and in squared score units for means.
* ``n`` is the raw number of responses; ``effective_n`` is the sample size that drives the
  precision (equal to ``n`` for unweighted data, Kish's effective sample size when weighted).
* ``low_sample`` flags results whose effective sample size is below ``LOW_SAMPLE_THRESHOLD``.
* Empty inputs never raise: they yield ``None`` for every statistic that needs data.

Main sources:

* Sauro, J. & Lewis, J. R. (2016). *Quantifying the User Experience*, 2nd ed. (adjusted-Wald
  intervals for proportions and their differences).
* Rocks, B. (2016). "Interval Estimation for the 'Net Promoter Score'". *The American
  Statistician* 70(4), 365-372 (adjusted-Wald NPS interval: add 3/4 promoter, 3/2 passive and
  3/4 detractor pseudo-observations).
* Lewis, J. R. & Sauro, J. (2020-2021), MeasuringU articles "Confidence Intervals for Net
  Promoter Scores" and "How to Statistically Compare Two Net Promoter Scores".
* Agresti, A. & Coull, B. A. (1998). "Approximate is better than 'exact' for interval
  estimation of binomial proportions". *The American Statistician* 52(2), 119-126.
* Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size of a weighted sample).
* Abramowitz, M. & Stegun, I. A. (1964). *Handbook of Mathematical Functions*, 26.5 and 26.7
  (incomplete beta function, Student's t distribution).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "CES_AGREE_MIN",
    "CSAT_SCALES",
    "LOW_SAMPLE_THRESHOLD",
    "NPS_PASSIVE_MIN",
    "NPS_PROMOTER_MIN",
    "Z_95",
    "CesResult",
    "Comparison",
    "CsatResult",
    "MeanResult",
    "NpsResult",
    "ProportionResult",
    "RetentionResult",
    "ces_from_counts",
    "compare_means",
    "compare_nps",
    "compare_proportions",
    "csat_from_counts",
    "customer_retention_rate",
    "kish_effective_n",
    "mean_from_counts",
    "mean_from_moments",
    "mean_from_weighted_moments",
    "mean_weighted",
    "normal_quantile",
    "nps_category",
    "nps_from_counts",
    "nps_from_scores",
    "nps_from_weighted_totals",
    "nps_sample_size",
    "nps_weighted",
    "proportion",
    "proportion_from_weighted_totals",
    "proportion_sample_size",
    "proportion_weighted",
    "score_distribution",
    "student_t_cdf",
    "student_t_quantile",
    "z_for_confidence",
]

NPS_PROMOTER_MIN = 9
NPS_PASSIVE_MIN = 7
NPS_SCORE_MIN = 0
NPS_SCORE_MAX = 10
LOW_SAMPLE_THRESHOLD = 30
Z_95 = 1.959963984540054

# Adjusted-Wald pseudo-observations for NPS (Rocks 2016; Sauro & Lewis): 3/4 promoter and
# 3/4 detractor added out of 3 extra respondents, i.e. 3/2 passives.
NPS_ADJUSTMENT_PROMOTERS = 0.75
NPS_ADJUSTMENT_DETRACTORS = 0.75
NPS_ADJUSTMENT_RESPONDENTS = 3.0

CSAT_SCALES = (5, 7, 10)
# First scale point counted as "agree" for the CES statement "The company made it easy...".
CES_AGREE_MIN: Mapping[int, int] = {5: 4, 7: 5}

# Relative tolerance when checking that SQL-supplied totals are mutually consistent; float
# sums of many weights are not exact, so demanding equality would reject valid input.
_CONSISTENCY_RTOL = 1e-9

_STANDARD_NORMAL = NormalDist()


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NpsResult:
    """Net Promoter Score with its adjusted-Wald confidence interval.

    ``value`` is the plain NPS, 100 * (promoters - detractors) / n, in points (-100..100).
    ``variance`` is the adjusted-Wald variance of the proportion difference p' - d'
    (proportion units), which ``compare_nps`` needs. Counts are weighted totals when the
    result comes from weighted data.
    """

    value: float | None
    n: int
    promoters: float
    passives: float
    detractors: float
    promoter_pct: float | None
    passive_pct: float | None
    detractor_pct: float | None
    ci_low: float | None
    ci_high: float | None
    low_sample: bool
    variance: float | None
    effective_n: float | None


@dataclass(frozen=True, slots=True)
class ProportionResult:
    """A percentage (0-100) with its adjusted-Wald (Agresti-Coull) confidence interval.

    ``variance`` is the Agresti-Coull variance p~(1 - p~)/n~ in proportion units, computed
    with the z of the confidence level the result was built with.
    """

    value: float | None
    n: int
    successes: float
    ci_low: float | None
    ci_high: float | None
    low_sample: bool
    variance: float | None
    effective_n: float | None


@dataclass(frozen=True, slots=True)
class MeanResult:
    """A mean with its Student-t confidence interval.

    ``variance`` is the variance of the mean, s^2 / n (s^2 / n_eff when weighted).
    """

    value: float | None
    n: int
    std_dev: float | None
    ci_low: float | None
    ci_high: float | None
    low_sample: bool
    variance: float | None
    effective_n: float | None


@dataclass(frozen=True, slots=True)
class CsatResult:
    """CSAT summarised both as top-2-box percentage and as mean rating."""

    top2box: ProportionResult
    mean: MeanResult
    scale_max: int


@dataclass(frozen=True, slots=True)
class CesResult:
    """Customer Effort Score summarised as mean rating and percentage who agree."""

    mean: MeanResult
    agree: ProportionResult
    scale_max: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """Difference b - a between two results, with a two-sided normal (z) test.

    ``difference``, ``ci_low`` and ``ci_high`` are in the metric's own units: NPS points,
    percentage points, or score units for means.
    """

    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    z: float | None
    significant: bool
    n_a: int
    n_b: int


@dataclass(frozen=True, slots=True)
class RetentionResult:
    """Customer retention rate, 100 * (E - N) / S, in percent."""

    value: float | None
    customers_at_start: int
    customers_at_end: int
    new_customers: int
    retained_customers: int


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------


def normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF, Phi^-1(p), for 0 < p < 1.

    Delegates to ``statistics.NormalDist.inv_cdf`` (Wichura's algorithm AS 241, accurate to
    about 1e-16), which is in the standard library and more accurate than Acklam's
    approximation, so no hand-rolled refinement step is needed.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be strictly between 0 and 1, got {p!r}")
    return _STANDARD_NORMAL.inv_cdf(p)


def z_for_confidence(confidence: float) -> float:
    """Two-sided critical value z such that P(-z < Z < z) = confidence.

    z = Phi^-1(1 - (1 - confidence) / 2); e.g. 1.96 for 95 %.
    """
    _check_confidence(confidence)
    return normal_quantile(1.0 - (1.0 - confidence) / 2.0)


def student_t_cdf(t: float, degrees_of_freedom: float) -> float:
    """CDF of Student's t distribution.

    For t >= 0, P(T <= t) = 1 - I_x(df/2, 1/2) / 2 with x = df / (df + t^2), where I is the
    regularized incomplete beta function (Abramowitz & Stegun 26.7.1 and 26.5.27).
    Non-integer degrees of freedom are allowed (weighted data gives fractional df).
    """
    _check_degrees_of_freedom(degrees_of_freedom)
    if math.isnan(t):
        raise ValueError("t must not be NaN")
    upper_tail = _student_t_upper_tail(abs(t), degrees_of_freedom)
    return 1.0 - upper_tail if t >= 0 else upper_tail


def student_t_quantile(probability: float, degrees_of_freedom: float) -> float:
    """Inverse CDF of Student's t distribution.

    Relative accuracy is about 1e-12 or better for probabilities between 1e-30 and
    1 - 1e-12 (checked against arbitrary-precision references), for any df > 0 whose
    quantile fits in a float.

    Starts from the Cornish-Fisher expansion of t in terms of the normal quantile
    (Abramowitz & Stegun 26.7.5) and polishes it with Newton steps on the exact CDF,
    falling back to bisection whenever a Newton step leaves the current bracket.
    """
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1, got {probability!r}")
    _check_degrees_of_freedom(degrees_of_freedom)
    if probability == 0.5:
        return 0.0
    if probability < 0.5:
        return -_upper_t_quantile(probability, degrees_of_freedom)
    return _upper_t_quantile(1.0 - probability, degrees_of_freedom)


# From this many degrees of freedom on, the Cornish-Fisher series is exact to double
# precision for any practical tail (its error is O(z^11 / df^5)), whereas the incomplete-beta
# continued fraction becomes ill-conditioned and loses digits.
_CORNISH_FISHER_ONLY_DF = 1e4


def _upper_t_quantile(tail: float, df: float) -> float:
    """Positive t with P(T > t) = tail, for 0 < tail < 1/2."""
    if df == 1.0:
        # Cauchy distribution: t = tan(pi (1/2 - tail)) = 1 / tan(pi tail), and the latter
        # keeps full precision for tiny tails, where the former sits next to a pole.
        return 1.0 / math.tan(math.pi * tail)
    if df == 2.0:
        # Closed form for df = 2: t = (1 - 2 tail) * sqrt(2 / (4 tail (1 - tail))); it also
        # spares the iteration the heavy tail.
        return (1.0 - 2.0 * tail) * math.sqrt(2.0 / (4.0 * tail * (1.0 - tail)))
    estimate = _cornish_fisher_t(tail, df)
    if df >= _CORNISH_FISHER_ONLY_DF:
        return estimate
    low, high = 0.0, max(estimate, 1.0)
    while _student_t_upper_tail(high, df) > tail:
        low = high
        high *= 2.0
        if math.isinf(high):
            raise ValueError("t quantile is too large to represent as a float")
    t = estimate if low < estimate < high else (low + high) / 2.0
    for _ in range(200):
        excess = _student_t_upper_tail(t, df) - tail
        if excess > 0:
            low = t
        else:
            high = t
        density = _student_t_density(t, df)
        # Upper tail decreases in t, so Newton moves t up when the tail is still too large.
        candidate = t + excess / density if density > 0 else math.nan
        if not low < candidate < high:
            candidate = (low + high) / 2.0
        if abs(candidate - t) <= 1e-15 * max(1.0, abs(t)):
            return candidate
        t = candidate
    return t


def _cornish_fisher_t(tail: float, df: float) -> float:
    """Cornish-Fisher approximation of the upper t quantile (Abramowitz & Stegun 26.7.5)."""
    # -Phi^-1(tail) rather than Phi^-1(1 - tail): forming 1 - tail would round away digits of
    # a tiny tail.
    return _cornish_fisher_t_from_z(-normal_quantile(tail), df)


def _cornish_fisher_t_from_z(z: float, df: float) -> float:
    """t = z + g1(z)/df + g2(z)/df^2 + g3(z)/df^3 + g4(z)/df^4, error O(df^-5) (A&S 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1.0) * z / 4.0
    g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0
    g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0
    g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


# Above this |t| the tail beyond it is below 1e-300 for df >= _CORNISH_FISHER_ONLY_DF, and
# the Cornish-Fisher series (a power series in z) is no longer reliable.
_CORNISH_FISHER_MAX_T = 40.0


def _student_t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0, as I_x(df/2, 1/2) / 2 with x = df / (df + t^2)."""
    if math.isinf(t):
        return 0.0
    if df >= _CORNISH_FISHER_ONLY_DF and t <= _CORNISH_FISHER_MAX_T:
        # The continued fraction is ill-conditioned for huge df; instead find the normal
        # deviate z whose Cornish-Fisher t equals t. The map is 1 + O(z^2/df) close to the
        # identity, so plain fixed-point iteration converges in a few steps.
        z = t
        for _ in range(100):
            step = _cornish_fisher_t_from_z(z, df) - t
            z -= step
            if abs(step) <= 4e-16 * max(1.0, abs(z)):
                return 0.5 * math.erfc(z / math.sqrt(2.0))
    t_squared = t * t
    denominator = df + t_squared
    # Pass 1 - x computed directly: near t = 0 the subtraction 1 - x would lose all digits.
    return 0.5 * _regularized_incomplete_beta(
        df / 2.0, 0.5, df / denominator, t_squared / denominator
    )


def _student_t_density(t: float, df: float) -> float:
    """Density of Student's t distribution."""
    log_density = (
        math.lgamma((df + 1.0) / 2.0)
        - math.lgamma(df / 2.0)
        - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )
    return math.exp(log_density)


def _regularized_incomplete_beta(a: float, b: float, x: float, one_minus_x: float) -> float:
    """Regularized incomplete beta I_x(a, b) via its continued fraction (A&S 26.5.8).

    The fraction converges quickly only for x < (a + 1) / (a + b + 2); otherwise the
    symmetry I_x(a, b) = 1 - I_{1-x}(b, a) is used. Callers pass 1 - x separately because
    it is usually known to full precision when x itself rounds to 1.
    """
    if x <= 0.0:
        return 0.0
    if one_minus_x <= 0.0:
        return 1.0
    # a * log(x) is multiplied by a large a for many degrees of freedom, so log(x) must keep
    # its relative precision when x is close to 1.
    log_x = math.log(x) if x < 0.5 else math.log1p(-one_minus_x)
    log_one_minus_x = math.log(one_minus_x) if one_minus_x < 0.5 else math.log1p(-x)
    log_front = _log_beta_reciprocal(a, b) + a * log_x + b * log_one_minus_x
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _incomplete_beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _incomplete_beta_continued_fraction(b, a, one_minus_x) / b


def _log_beta_reciprocal(a: float, b: float) -> float:
    """log(Gamma(a + b) / (Gamma(a) Gamma(b)))."""
    if b == 0.5 and a >= 100.0:
        # lgamma(a + 1/2) - lgamma(a) cancels catastrophically for large a (both terms are
        # ~a log a), so use the asymptotic series of log(Gamma(a + 1/2) / Gamma(a)), whose
        # truncation error is below 1e-20 from a = 100 on.
        inverse = 1.0 / a
        inverse_squared = inverse * inverse
        log_gamma_ratio = 0.5 * math.log(a) - inverse * (
            1.0 / 8.0
            - inverse_squared
            * (1.0 / 192.0 - inverse_squared * (1.0 / 640.0 - inverse_squared * 17.0 / 14336.0))
        )
        return log_gamma_ratio - math.lgamma(0.5)
    return math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)


def _incomplete_beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for I_x(a, b), evaluated with the modified Lentz method."""
    tiny = 1e-300
    tolerance = 1e-16
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 100_000):
        two_m = 2.0 * m
        # Even step of the fraction.
        coefficient = m * (b - m) * x / ((a + two_m - 1.0) * (a + two_m))
        d = 1.0 + coefficient * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + coefficient / c
        c = c if abs(c) > tiny else tiny
        fraction *= d * c
        # Odd step of the fraction.
        coefficient = -(a + m) * (a + b + m) * x / ((a + two_m) * (a + two_m + 1.0))
        d = 1.0 + coefficient * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + coefficient / c
        c = c if abs(c) > tiny else tiny
        step = d * c
        fraction *= step
        if abs(step - 1.0) < tolerance:
            return fraction
    raise ArithmeticError("incomplete beta continued fraction did not converge")


# --------------------------------------------------------------------------------------------
# NPS
# --------------------------------------------------------------------------------------------


def nps_category(score: int) -> str:
    """Classify a 0-10 likelihood-to-recommend answer: promoter 9-10, passive 7-8, else detractor.

    Source: Reichheld, F. (2003). "The One Number You Need to Grow". Harvard Business Review.
    """
    if isinstance(score, bool) or not isinstance(score, int):
        raise ValueError(f"NPS score must be an int between 0 and 10, got {score!r}")
    if not NPS_SCORE_MIN <= score <= NPS_SCORE_MAX:
        raise ValueError(f"NPS score must be between 0 and 10, got {score}")
    if score >= NPS_PROMOTER_MIN:
        return "promoter"
    if score >= NPS_PASSIVE_MIN:
        return "passive"
    return "detractor"


def nps_from_counts(
    *,
    promoters: float,
    passives: float,
    detractors: float,
    confidence: float = 0.95,
) -> NpsResult:
    """NPS and adjusted-Wald interval from category counts.

    NPS = 100 * (P - D) / n. Interval (Rocks 2016; Lewis & Sauro, MeasuringU 2020):
    n' = n + 3, p' = (P + 3/4) / n', d' = (D + 3/4) / n',
    variance = [p' + d' - (p' - d')^2] / n',
    CI = 100 * [(p' - d') +/- z * sqrt(variance)], clipped to [-100, 100].
    The point estimate stays the plain NPS, so it is not always the centre of the interval.

    Counts may be floats (treated as totals with effective sample size equal to their sum);
    for survey weights use ``nps_weighted`` or ``nps_from_weighted_totals`` instead.
    """
    _check_non_negative("promoters", promoters)
    _check_non_negative("passives", passives)
    _check_non_negative("detractors", detractors)
    total = promoters + passives + detractors
    return _build_nps(
        promoters_w=promoters,
        passives_w=passives,
        detractors_w=detractors,
        sum_w=total,
        raw_n=round(total),
        effective_n=total,
        confidence=confidence,
    )


def nps_from_scores(scores: Iterable[int], *, confidence: float = 0.95) -> NpsResult:
    """NPS from raw 0-10 answers; see ``nps_from_counts`` for the formulas."""
    counts = {"promoter": 0, "passive": 0, "detractor": 0}
    for score in scores:
        counts[nps_category(score)] += 1
    return nps_from_counts(
        promoters=counts["promoter"],
        passives=counts["passive"],
        detractors=counts["detractor"],
        confidence=confidence,
    )


def nps_weighted(pairs: Iterable[tuple[int, float]], *, confidence: float = 0.95) -> NpsResult:
    """NPS from (score, weight) pairs.

    Shares use weighted totals; the interval uses Kish's effective sample size
    n_eff = (sum w)^2 / sum w^2 in place of n (so n' = n_eff + 3). ``n`` stays the raw count.
    With every weight equal to 1 the result equals ``nps_from_scores`` exactly.
    """
    weights_by_category: dict[str, list[float]] = {
        "promoter": [],
        "passive": [],
        "detractor": [],
    }
    all_weights: list[float] = []
    for score, weight in pairs:
        _check_weight(weight)
        weights_by_category[nps_category(score)].append(weight)
        all_weights.append(weight)
    return nps_from_weighted_totals(
        promoters_w=math.fsum(weights_by_category["promoter"]),
        passives_w=math.fsum(weights_by_category["passive"]),
        detractors_w=math.fsum(weights_by_category["detractor"]),
        sum_w=math.fsum(all_weights),
        sum_w2=math.fsum(weight * weight for weight in all_weights),
        n=len(all_weights),
        confidence=confidence,
    )


def nps_from_weighted_totals(
    *,
    promoters_w: float,
    passives_w: float,
    detractors_w: float,
    sum_w: float,
    sum_w2: float,
    n: int,
    confidence: float = 0.95,
) -> NpsResult:
    """Weighted NPS from SQL-style totals: SUM(w) per category, SUM(w), SUM(w*w), COUNT(*).

    Same method as ``nps_weighted``. Raises ValueError when the totals are inconsistent
    (category sums not adding up to ``sum_w``, or an impossible ``sum_w2`` for ``n`` weights).
    """
    _check_non_negative("promoters_w", promoters_w)
    _check_non_negative("passives_w", passives_w)
    _check_non_negative("detractors_w", detractors_w)
    effective_n = _checked_weighted_sample(sum_w=sum_w, sum_w2=sum_w2, n=n)
    _check_parts_add_up(sum_w, promoters_w + passives_w + detractors_w)
    return _build_nps(
        promoters_w=promoters_w,
        passives_w=passives_w,
        detractors_w=detractors_w,
        sum_w=sum_w,
        raw_n=n,
        effective_n=effective_n,
        confidence=confidence,
    )


def _build_nps(
    *,
    promoters_w: float,
    passives_w: float,
    detractors_w: float,
    sum_w: float,
    raw_n: int,
    effective_n: float,
    confidence: float,
) -> NpsResult:
    z = z_for_confidence(confidence)
    if sum_w <= 0.0:
        return NpsResult(
            value=None,
            n=raw_n,
            promoters=promoters_w,
            passives=passives_w,
            detractors=detractors_w,
            promoter_pct=None,
            passive_pct=None,
            detractor_pct=None,
            ci_low=None,
            ci_high=None,
            low_sample=True,
            variance=None,
            effective_n=None,
        )
    # Rescale weighted totals to the effective sample so the +3/4 pseudo-counts carry the
    # same relative weight as in an unweighted sample of size n_eff. Unweighted, the scale is 1.
    scale = effective_n / sum_w
    adjusted_n = effective_n + NPS_ADJUSTMENT_RESPONDENTS
    adjusted_promoter_share = (promoters_w * scale + NPS_ADJUSTMENT_PROMOTERS) / adjusted_n
    adjusted_detractor_share = (detractors_w * scale + NPS_ADJUSTMENT_DETRACTORS) / adjusted_n
    adjusted_difference = adjusted_promoter_share - adjusted_detractor_share
    variance = (
        adjusted_promoter_share + adjusted_detractor_share - adjusted_difference**2
    ) / adjusted_n
    half_width = z * math.sqrt(variance)
    return NpsResult(
        value=100.0 * (promoters_w - detractors_w) / sum_w,
        n=raw_n,
        promoters=promoters_w,
        passives=passives_w,
        detractors=detractors_w,
        promoter_pct=100.0 * promoters_w / sum_w,
        passive_pct=100.0 * passives_w / sum_w,
        detractor_pct=100.0 * detractors_w / sum_w,
        ci_low=_clip(100.0 * (adjusted_difference - half_width), -100.0, 100.0),
        ci_high=_clip(100.0 * (adjusted_difference + half_width), -100.0, 100.0),
        low_sample=effective_n < LOW_SAMPLE_THRESHOLD,
        variance=variance,
        effective_n=effective_n,
    )


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------


def proportion(*, successes: float, n: float, confidence: float = 0.95) -> ProportionResult:
    """Percentage of successes with the adjusted-Wald (Agresti-Coull) interval.

    n~ = n + z^2, p~ = (x + z^2/2) / n~, variance = p~(1 - p~) / n~,
    CI = 100 * [p~ +/- z * sqrt(variance)], clipped to [0, 100] (Agresti & Coull 1998;
    Sauro & Lewis 2016, ch. 3). The point estimate stays the plain x / n.
    A non-integer ``n`` is treated as an effective sample size; the result's ``n`` is rounded.
    """
    _check_non_negative("successes", successes)
    _check_non_negative("n", n)
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
    return _build_proportion(
        successes_w=successes, sum_w=n, raw_n=round(n), effective_n=n, confidence=confidence
    )


def proportion_weighted(
    pairs: Iterable[tuple[bool, float]], *, confidence: float = 0.95
) -> ProportionResult:
    """Weighted percentage from (is_success, weight) pairs.

    Share = sum of weights of successes / sum w; the Agresti-Coull interval uses Kish's
    n_eff = (sum w)^2 / sum w^2 in place of n. ``n`` stays the raw count.
    """
    success_weights: list[float] = []
    all_weights: list[float] = []
    for is_success, weight in pairs:
        _check_weight(weight)
        all_weights.append(weight)
        if is_success:
            success_weights.append(weight)
    return proportion_from_weighted_totals(
        successes_w=math.fsum(success_weights),
        sum_w=math.fsum(all_weights),
        sum_w2=math.fsum(weight * weight for weight in all_weights),
        n=len(all_weights),
        confidence=confidence,
    )


def proportion_from_weighted_totals(
    *,
    successes_w: float,
    sum_w: float,
    sum_w2: float,
    n: int,
    confidence: float = 0.95,
) -> ProportionResult:
    """Weighted percentage from SQL-style totals; same method as ``proportion_weighted``."""
    _check_non_negative("successes_w", successes_w)
    effective_n = _checked_weighted_sample(sum_w=sum_w, sum_w2=sum_w2, n=n)
    if successes_w > sum_w * (1.0 + _CONSISTENCY_RTOL):
        raise ValueError(f"successes_w ({successes_w}) cannot exceed sum_w ({sum_w})")
    return _build_proportion(
        successes_w=min(successes_w, sum_w),
        sum_w=sum_w,
        raw_n=n,
        effective_n=effective_n,
        confidence=confidence,
    )


def _build_proportion(
    *,
    successes_w: float,
    sum_w: float,
    raw_n: int,
    effective_n: float,
    confidence: float,
) -> ProportionResult:
    z = z_for_confidence(confidence)
    if sum_w <= 0.0:
        return ProportionResult(
            value=None,
            n=raw_n,
            successes=successes_w,
            ci_low=None,
            ci_high=None,
            low_sample=True,
            variance=None,
            effective_n=None,
        )
    z_squared = z * z
    adjusted_n = effective_n + z_squared
    adjusted_share = (successes_w * (effective_n / sum_w) + z_squared / 2.0) / adjusted_n
    variance = adjusted_share * (1.0 - adjusted_share) / adjusted_n
    half_width = z * math.sqrt(variance)
    return ProportionResult(
        value=100.0 * successes_w / sum_w,
        n=raw_n,
        successes=successes_w,
        ci_low=_clip(100.0 * (adjusted_share - half_width), 0.0, 100.0),
        ci_high=_clip(100.0 * (adjusted_share + half_width), 0.0, 100.0),
        low_sample=effective_n < LOW_SAMPLE_THRESHOLD,
        variance=variance,
        effective_n=effective_n,
    )


# --------------------------------------------------------------------------------------------
# Means
# --------------------------------------------------------------------------------------------


def mean_from_moments(
    *,
    n: float,
    total: float,
    total_of_squares: float,
    confidence: float = 0.95,
    effective_n: float | None = None,
) -> MeanResult:
    """Mean, sample standard deviation and Student-t interval from n, sum x and sum x^2.

    mean = sum x / n, s^2 = (sum x^2 - (sum x)^2 / n) / (n - 1),
    CI = mean +/- t(1 - alpha/2, df = n - 1) * s / sqrt(n).

    For weighted moments pass n = sum w, total = sum w x, total_of_squares = sum w x^2 and
    ``effective_n``; then s^2 = [sum w x^2 - (sum w x)^2 / sum w] / sum w * n_eff / (n_eff - 1),
    the variance of the mean is s^2 / n_eff and df = n_eff - 1 (Kish 1965). The result's ``n``
    is ``n`` rounded; ``mean_from_weighted_moments`` keeps the raw response count instead.
    A single observation gives a value but no spread or interval.
    """
    _check_non_negative("n", n)
    _check_finite("total", total)
    _check_non_negative("total_of_squares", total_of_squares)
    if effective_n is None:
        effective_n = n
    else:
        _check_non_negative("effective_n", effective_n)
    return _build_mean(
        sum_w=n,
        sum_wx=total,
        sum_wx2=total_of_squares,
        raw_n=round(n),
        effective_n=effective_n,
        confidence=confidence,
    )


def mean_from_counts(counts: Mapping[int, float], *, confidence: float = 0.95) -> MeanResult:
    """Mean of a rating question from a score -> count mapping; see ``mean_from_moments``."""
    for score, count in counts.items():
        _check_finite("score", score)
        _check_non_negative(f"count for score {score}", count)
    return mean_from_moments(
        n=math.fsum(counts.values()),
        total=math.fsum(score * count for score, count in counts.items()),
        total_of_squares=math.fsum(score * score * count for score, count in counts.items()),
        confidence=confidence,
    )


def mean_weighted(pairs: Iterable[tuple[float, float]], *, confidence: float = 0.95) -> MeanResult:
    """Weighted mean from (value, weight) pairs; see ``mean_from_weighted_moments``.

    With every weight equal to 1 the result equals the unweighted one exactly.
    """
    values: list[float] = []
    weights: list[float] = []
    for value, weight in pairs:
        _check_finite("value", value)
        _check_weight(weight)
        values.append(value)
        weights.append(weight)
    return mean_from_weighted_moments(
        sum_w=math.fsum(weights),
        sum_wx=math.fsum(w * x for x, w in zip(values, weights, strict=True)),
        sum_wx2=math.fsum(w * x * x for x, w in zip(values, weights, strict=True)),
        sum_w2=math.fsum(w * w for w in weights),
        n=len(weights),
        confidence=confidence,
    )


def mean_from_weighted_moments(
    *,
    sum_w: float,
    sum_wx: float,
    sum_wx2: float,
    sum_w2: float,
    n: int,
    confidence: float = 0.95,
) -> MeanResult:
    """Weighted mean from SQL-style totals SUM(w), SUM(w*x), SUM(w*x*x), SUM(w*w), COUNT(*).

    mean = sum w x / sum w; spread and interval use Kish's n_eff = (sum w)^2 / sum w^2 as
    described in ``mean_from_moments``. ``n`` stays the raw count.
    """
    _check_finite("sum_wx", sum_wx)
    _check_non_negative("sum_wx2", sum_wx2)
    effective_n = _checked_weighted_sample(sum_w=sum_w, sum_w2=sum_w2, n=n)
    return _build_mean(
        sum_w=sum_w,
        sum_wx=sum_wx,
        sum_wx2=sum_wx2,
        raw_n=n,
        effective_n=effective_n,
        confidence=confidence,
    )


def _build_mean(
    *,
    sum_w: float,
    sum_wx: float,
    sum_wx2: float,
    raw_n: int,
    effective_n: float,
    confidence: float,
) -> MeanResult:
    _check_confidence(confidence)
    if sum_w <= 0.0:
        return MeanResult(
            value=None,
            n=raw_n,
            std_dev=None,
            ci_low=None,
            ci_high=None,
            low_sample=True,
            variance=None,
            effective_n=None,
        )
    mean = sum_wx / sum_w
    low_sample = effective_n < LOW_SAMPLE_THRESHOLD
    if effective_n <= 1.0:
        return MeanResult(
            value=mean,
            n=raw_n,
            std_dev=None,
            ci_low=None,
            ci_high=None,
            low_sample=low_sample,
            variance=None,
            effective_n=effective_n,
        )
    # Rounding in sum x^2 - (sum x)^2 / n can go slightly negative when all values are equal.
    sum_of_squared_deviations = max(sum_wx2 - sum_wx * sum_wx / sum_w, 0.0)
    # Written so that unweighted input (n_eff == sum w) reduces exactly to SS / (n - 1).
    sample_variance = sum_of_squared_deviations / (effective_n - 1.0) * (effective_n / sum_w)
    variance_of_mean = sample_variance / effective_n
    ci_low: float | None = None
    ci_high: float | None = None
    degrees_of_freedom = effective_n - 1.0
    # Below one degree of freedom the t quantile explodes, so no interval is offered.
    if degrees_of_freedom >= 1.0:
        t = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, degrees_of_freedom)
        half_width = t * math.sqrt(variance_of_mean)
        ci_low, ci_high = mean - half_width, mean + half_width
    return MeanResult(
        value=mean,
        n=raw_n,
        std_dev=math.sqrt(sample_variance),
        ci_low=ci_low,
        ci_high=ci_high,
        low_sample=low_sample,
        variance=variance_of_mean,
        effective_n=effective_n,
    )


# --------------------------------------------------------------------------------------------
# CSAT, CES and distributions
# --------------------------------------------------------------------------------------------


def csat_from_counts(
    counts: Mapping[int, float], *, scale_max: int = 5, confidence: float = 0.95
) -> CsatResult:
    """CSAT from a score -> count mapping on a 1..scale_max scale (5, 7 or 10 points).

    Top-2-box = share of the two highest points (4-5 on 1-5, 6-7 on 1-7, 9-10 on 1-10),
    with the adjusted-Wald interval of ``proportion``; the mean uses ``mean_from_counts``.
    """
    if scale_max not in CSAT_SCALES:
        raise ValueError(f"CSAT scale_max must be one of {CSAT_SCALES}, got {scale_max!r}")
    _check_scale_counts(counts, low=1, high=scale_max)
    top_two = math.fsum(count for score, count in counts.items() if score >= scale_max - 1)
    return CsatResult(
        top2box=proportion(successes=top_two, n=math.fsum(counts.values()), confidence=confidence),
        mean=mean_from_counts(counts, confidence=confidence),
        scale_max=scale_max,
    )


def ces_from_counts(
    counts: Mapping[int, float], *, scale_max: int = 7, confidence: float = 0.95
) -> CesResult:
    """Customer Effort Score (CES 2.0 agreement scale) from a score -> count mapping.

    ``agree`` is the share answering 5-7 on the 1-7 scale or 4-5 on the 1-5 scale (the
    "somewhat agree" point and above); other scales raise ValueError.
    """
    agree_min = CES_AGREE_MIN.get(scale_max)
    if agree_min is None:
        raise ValueError(f"CES scale_max must be 5 or 7, got {scale_max!r}")
    _check_scale_counts(counts, low=1, high=scale_max)
    agreeing = math.fsum(count for score, count in counts.items() if score >= agree_min)
    return CesResult(
        mean=mean_from_counts(counts, confidence=confidence),
        agree=proportion(successes=agreeing, n=math.fsum(counts.values()), confidence=confidence),
        scale_max=scale_max,
    )


def score_distribution(
    counts: Mapping[int, int], *, low: int, high: int
) -> tuple[tuple[int, int, float], ...]:
    """(score, count, percent of all answers) for every scale point low..high, zeros filled.

    Percentages are 0.0 when there are no answers, so charts can render empty periods.
    """
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high})")
    _check_scale_counts(counts, low=low, high=high)
    total = sum(counts.values())
    return tuple(
        (
            score,
            counts.get(score, 0),
            100.0 * counts.get(score, 0) / total if total > 0 else 0.0,
        )
        for score in range(low, high + 1)
    )


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------


def compare_nps(a: NpsResult, b: NpsResult, *, confidence: float = 0.95) -> Comparison:
    """Difference b - a between two independent NPS, with the adjusted-Wald z test.

    SE = sqrt(var_a + var_b) from each side's adjusted-Wald variance (Lewis & Sauro,
    MeasuringU 2020, "How to Statistically Compare Two Net Promoter Scores"); z = (NPS_b -
    NPS_a) / (100 * SE), two-sided p = erfc(|z| / sqrt 2), CI = difference +/- z_crit * SE * 100
    clipped to [-200, 200]. ``significant`` means p < 1 - confidence.
    """
    if a.value is None or b.value is None or a.variance is None or b.variance is None:
        return _empty_comparison(a.n, b.n, difference=None)
    return _z_comparison(
        difference=b.value - a.value,
        standard_error=100.0 * math.sqrt(a.variance + b.variance),
        bound=200.0,
        confidence=confidence,
        n_a=a.n,
        n_b=b.n,
    )


def compare_proportions(
    a: ProportionResult, b: ProportionResult, *, confidence: float = 0.95
) -> Comparison:
    """Difference b - a in percentage points, with a z test on the adjusted-Wald variances.

    SE = sqrt(var_a + var_b), each var = p~(1 - p~)/n~ (Agresti-Coull), which behaves like
    the adjusted-Wald difference interval of Sauro & Lewis (2016, ch. 5) / Agresti & Caffo
    (2000) and stays defined at 0 % and 100 %. CI clipped to [-100, 100].
    """
    if a.value is None or b.value is None or a.variance is None or b.variance is None:
        return _empty_comparison(a.n, b.n, difference=None)
    return _z_comparison(
        difference=b.value - a.value,
        standard_error=100.0 * math.sqrt(a.variance + b.variance),
        bound=100.0,
        confidence=confidence,
        n_a=a.n,
        n_b=b.n,
    )


def compare_means(a: MeanResult, b: MeanResult, *, confidence: float = 0.95) -> Comparison:
    """Difference b - a of two independent means with a Welch-style normal approximation.

    z = (mean_b - mean_a) / sqrt(s_a^2/n_a + s_b^2/n_b), p from the normal distribution.
    Using z instead of Welch's t with Satterthwaite df is slightly anti-conservative below
    about 30 responses per side, which the ``low_sample`` flags already warn about.
    When a side has a single response the difference is reported but not tested.
    """
    if a.value is None or b.value is None:
        return _empty_comparison(a.n, b.n, difference=None)
    difference = b.value - a.value
    if a.variance is None or b.variance is None:
        return _empty_comparison(a.n, b.n, difference=difference)
    return _z_comparison(
        difference=difference,
        standard_error=math.sqrt(a.variance + b.variance),
        bound=math.inf,
        confidence=confidence,
        n_a=a.n,
        n_b=b.n,
    )


def _z_comparison(
    *,
    difference: float,
    standard_error: float,
    bound: float,
    confidence: float,
    n_a: int,
    n_b: int,
) -> Comparison:
    critical_z = z_for_confidence(confidence)
    if standard_error <= 0.0:
        # No observed variability (e.g. every answer identical on both sides): a z test is
        # undefined, so report the difference without claiming significance.
        return Comparison(
            difference=difference,
            ci_low=difference,
            ci_high=difference,
            p_value=None,
            z=None,
            significant=False,
            n_a=n_a,
            n_b=n_b,
        )
    z = difference / standard_error
    p_value = math.erfc(abs(z) / math.sqrt(2.0))
    half_width = critical_z * standard_error
    return Comparison(
        difference=difference,
        ci_low=_clip(difference - half_width, -bound, bound),
        ci_high=_clip(difference + half_width, -bound, bound),
        p_value=p_value,
        z=z,
        significant=p_value < 1.0 - confidence,
        n_a=n_a,
        n_b=n_b,
    )


def _empty_comparison(n_a: int, n_b: int, *, difference: float | None) -> Comparison:
    return Comparison(
        difference=difference,
        ci_low=None,
        ci_high=None,
        p_value=None,
        z=None,
        significant=False,
        n_a=n_a,
        n_b=n_b,
    )


# --------------------------------------------------------------------------------------------
# Weighting
# --------------------------------------------------------------------------------------------


def kish_effective_n(sum_w: float, sum_w2: float) -> float:
    """Kish's effective sample size n_eff = (sum w)^2 / sum w^2 (Kish 1965, sec. 11.7).

    Equals n when all weights are equal and shrinks as weights become more unequal.
    Returns 0.0 for an empty sample (both sums zero).
    """
    _check_non_negative("sum_w", sum_w)
    _check_non_negative("sum_w2", sum_w2)
    if sum_w == 0.0 and sum_w2 == 0.0:
        return 0.0
    if sum_w == 0.0 or sum_w2 == 0.0:
        raise ValueError("sum_w and sum_w2 must both be zero or both be positive")
    return sum_w * sum_w / sum_w2


def _checked_weighted_sample(*, sum_w: float, sum_w2: float, n: int) -> float:
    """Validate SQL-style weight totals and return Kish's effective sample size."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    effective_n = kish_effective_n(sum_w, sum_w2)
    if n == 0:
        if sum_w != 0.0:
            raise ValueError("sum_w must be 0 when n is 0")
        return 0.0
    if sum_w == 0.0:
        raise ValueError("weights must be > 0, so sum_w must be positive when n > 0")
    # For n positive weights, Cauchy-Schwarz gives 1 <= n_eff <= n; anything else means the
    # totals were mixed up (e.g. sum_w and sum_w2 swapped).
    if not 1.0 - _CONSISTENCY_RTOL <= effective_n <= n * (1.0 + _CONSISTENCY_RTOL):
        raise ValueError(
            f"inconsistent weight totals: effective n {effective_n} is outside [1, {n}]"
        )
    return min(max(effective_n, 1.0), float(n))


# --------------------------------------------------------------------------------------------
# Planning and customer metrics
# --------------------------------------------------------------------------------------------


def nps_sample_size(
    *,
    margin_points: float,
    confidence: float = 0.95,
    promoter_share: float = 0.5,
    detractor_share: float = 0.5,
) -> int:
    """Responses needed for the adjusted-Wald NPS interval half-width to be <= margin_points.

    Per-respondent variance of the NPS score (+1/0/-1) is sigma^2 = p + d - (p - d)^2; the
    interval uses n' = n + 3, so n = ceil(z^2 sigma^2 / e^2) - 3 with e = margin / 100, and at
    least 1. The default p = d = 0.5 is the worst case (sigma^2 = 1).
    """
    _check_margin(margin_points, upper=200.0)
    _check_share("promoter_share", promoter_share)
    _check_share("detractor_share", detractor_share)
    if promoter_share + detractor_share > 1.0 + _CONSISTENCY_RTOL:
        raise ValueError("promoter_share + detractor_share cannot exceed 1")
    z = z_for_confidence(confidence)
    per_respondent_variance = (
        promoter_share + detractor_share - (promoter_share - detractor_share) ** 2
    )
    margin = margin_points / 100.0
    adjusted_n = z * z * per_respondent_variance / (margin * margin)
    return max(_ceil_tolerant(adjusted_n) - int(NPS_ADJUSTMENT_RESPONDENTS), 1)


def proportion_sample_size(
    *, margin_points: float, confidence: float = 0.95, expected_share: float = 0.5
) -> int:
    """Responses needed for a proportion's margin of error to be <= margin_points.

    Classic n = z^2 p (1 - p) / e^2 rounded up (e.g. +/-5 points at 95 % with p = 0.5 -> 385),
    and at least 1.
    """
    _check_margin(margin_points, upper=100.0)
    _check_share("expected_share", expected_share)
    z = z_for_confidence(confidence)
    margin = margin_points / 100.0
    needed = z * z * expected_share * (1.0 - expected_share) / (margin * margin)
    return max(_ceil_tolerant(needed), 1)


def customer_retention_rate(
    *, customers_at_start: int, customers_at_end: int, new_customers: int
) -> RetentionResult:
    """Customer retention rate CRR = 100 * (E - N) / S.

    S = customers at the start of the period, E = at the end, N = acquired during it.
    S = 0 gives ``value`` None. Raises ValueError for negative counts, N > E, or E - N > S
    (more customers retained than existed, which signals inconsistent inputs).
    """
    for name, count in (
        ("customers_at_start", customers_at_start),
        ("customers_at_end", customers_at_end),
        ("new_customers", new_customers),
    ):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name} must be a non-negative int, got {count!r}")
    if new_customers > customers_at_end:
        raise ValueError("new_customers cannot exceed customers_at_end")
    retained = customers_at_end - new_customers
    if retained > customers_at_start:
        raise ValueError(
            f"retained customers ({retained}) cannot exceed customers_at_start "
            f"({customers_at_start})"
        )
    return RetentionResult(
        value=100.0 * retained / customers_at_start if customers_at_start > 0 else None,
        customers_at_start=customers_at_start,
        customers_at_end=customers_at_end,
        new_customers=new_customers,
        retained_customers=retained,
    )


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _ceil_tolerant(value: float) -> int:
    # z^2 p q / e^2 often lands a hair above an integer through rounding (e.g. 1536.0000001);
    # that must not cost a whole extra respondent.
    return math.ceil(value - 1e-9)


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _check_degrees_of_freedom(degrees_of_freedom: float) -> None:
    if not degrees_of_freedom > 0.0 or math.isinf(degrees_of_freedom):
        raise ValueError(f"degrees_of_freedom must be positive, got {degrees_of_freedom!r}")


def _check_finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")


def _check_non_negative(name: str, value: float) -> None:
    _check_finite(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def _check_weight(weight: float) -> None:
    if not math.isfinite(weight) or weight <= 0.0:
        raise ValueError(f"weights must be finite and > 0, got {weight!r}")


def _check_share(name: str, share: float) -> None:
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {share!r}")


def _check_margin(margin_points: float, *, upper: float) -> None:
    if not 0.0 < margin_points <= upper:
        raise ValueError(f"margin_points must be in (0, {upper}], got {margin_points!r}")


def _check_parts_add_up(total: float, parts_sum: float) -> None:
    if not math.isclose(total, parts_sum, rel_tol=_CONSISTENCY_RTOL, abs_tol=1e-12):
        raise ValueError(f"category totals add up to {parts_sum}, but sum_w is {total}")


def _check_scale_counts(counts: Mapping[int, float], *, low: int, high: int) -> None:
    for score, count in counts.items():
        if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
            raise ValueError(f"score {score!r} is outside the scale {low}..{high}")
        _check_non_negative(f"count for score {score}", count)
