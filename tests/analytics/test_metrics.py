"""Tests for cxloop.analytics.metrics, the pure statistics core (no Django involved).

Where no published worked example could be retrieved, expected values are computed by hand
from the documented formula, with the intermediate values written out next to the assertion.
Checks against published worked examples live in test_metrics_published.py.
Reference quantiles were cross-checked against R's qt()/qnorm() (identical to SciPy's
t.ppf/norm.ppf) to the digits shown.
"""

from __future__ import annotations

import dataclasses
import math
from statistics import NormalDist

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cxloop.analytics.metrics import (
    LOW_SAMPLE_THRESHOLD,
    NPS_PASSIVE_MIN,
    NPS_PROMOTER_MIN,
    Z_95,
    CesResult,
    Comparison,
    CsatResult,
    MeanResult,
    NpsResult,
    ProportionResult,
    RetentionResult,
    ces_from_counts,
    compare_means,
    compare_nps,
    compare_proportions,
    csat_from_counts,
    customer_retention_rate,
    kish_effective_n,
    mean_from_counts,
    mean_from_moments,
    mean_from_weighted_moments,
    mean_weighted,
    normal_quantile,
    nps_category,
    nps_from_counts,
    nps_from_scores,
    nps_from_weighted_totals,
    nps_sample_size,
    nps_weighted,
    proportion,
    proportion_from_weighted_totals,
    proportion_sample_size,
    proportion_weighted,
    score_distribution,
    student_t_cdf,
    student_t_quantile,
    z_for_confidence,
)

counts_strategy = st.integers(min_value=0, max_value=2_000)
weight_strategy = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)
nps_score_strategy = st.integers(min_value=0, max_value=10)


# --------------------------------------------------------------------------------------------
# Constants and categories
# --------------------------------------------------------------------------------------------


def test_constants_match_the_nps_definition() -> None:
    assert NPS_PROMOTER_MIN == 9
    assert NPS_PASSIVE_MIN == 7
    assert LOW_SAMPLE_THRESHOLD == 30
    assert abs(Z_95 - NormalDist().inv_cdf(0.975)) <= 1e-15


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (3, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_category_boundaries(score: int, category: str) -> None:
    assert nps_category(score) == category


@pytest.mark.parametrize("bad_score", [-1, 11, 100, 9.0, 8.5, "9", None, True, False])
def test_nps_category_rejects_out_of_range_and_non_int(bad_score: object) -> None:
    with pytest.raises(ValueError, match="NPS score"):
        nps_category(bad_score)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# NPS: point estimate and adjusted-Wald interval
# --------------------------------------------------------------------------------------------


def test_nps_hand_computed_adjusted_wald_example() -> None:
    # The MeasuringU articles (Lewis & Sauro, "Confidence Intervals for Net Promoter Scores")
    # could not be retrieved in full, so this n = 36 case is worked by hand:
    #   P = 15, passives = 11, D = 10, n = 36 -> NPS = 100 * 5 / 36 = 13.888...
    #   n' = 39, p' = 15.75 / 39 = 0.403846, d' = 10.75 / 39 = 0.275641
    #   p' - d' = 5 / 39 = 0.128205
    #   variance = (0.403846 + 0.275641 - 0.128205^2) / 39 = 0.0170013
    #   SE = 0.130389, z * SE = 1.959964 * 0.130389 = 0.255558
    #   CI = 100 * (0.128205 -/+ 0.255558) = [-12.735, 38.376]
    result = nps_from_counts(promoters=15, passives=11, detractors=10)
    assert result.value == pytest.approx(13.888889, abs=1e-6)
    assert result.n == 36
    assert (result.promoters, result.passives, result.detractors) == (15, 11, 10)
    assert result.promoter_pct == pytest.approx(41.666667, abs=1e-6)
    assert result.passive_pct == pytest.approx(30.555556, abs=1e-6)
    assert result.detractor_pct == pytest.approx(27.777778, abs=1e-6)
    assert result.variance == pytest.approx(0.0170013, abs=1e-7)
    assert result.ci_low == pytest.approx(-12.7353, abs=1e-4)
    assert result.ci_high == pytest.approx(38.3763, abs=1e-4)
    assert result.low_sample is False
    assert result.effective_n == 36


def test_nps_interval_is_centred_on_adjusted_difference_not_on_plain_nps() -> None:
    result = nps_from_counts(promoters=15, passives=11, detractors=10)
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert (result.ci_low + result.ci_high) / 2 == pytest.approx(100 * 5 / 39, abs=1e-9)
    assert (result.ci_low + result.ci_high) / 2 != pytest.approx(result.value, abs=0.1)


def test_nps_from_scores_matches_counts() -> None:
    scores = [10, 9, 9, 8, 7, 6, 0, 3, 10, 5]
    # promoters: 10, 9, 9, 10 = 4; passives: 8, 7 = 2; detractors: 6, 0, 3, 5 = 4
    from_scores = nps_from_scores(scores)
    assert from_scores == nps_from_counts(promoters=4, passives=2, detractors=4)
    assert from_scores.value == 0.0
    assert from_scores.n == 10
    assert from_scores.low_sample is True


def test_nps_from_scores_accepts_a_generator_and_validates_scores() -> None:
    assert nps_from_scores(score for score in (9, 10)).value == 100.0
    with pytest.raises(ValueError, match="NPS score"):
        nps_from_scores([9, 11])


def test_nps_empty_sample_has_no_statistics() -> None:
    result = nps_from_counts(promoters=0, passives=0, detractors=0)
    assert result == NpsResult(
        value=None,
        n=0,
        promoters=0,
        passives=0,
        detractors=0,
        promoter_pct=None,
        passive_pct=None,
        detractor_pct=None,
        ci_low=None,
        ci_high=None,
        low_sample=True,
        variance=None,
        effective_n=None,
    )
    assert nps_from_scores([]) == result


def test_nps_single_promoter() -> None:
    # n' = 4, p' = 1.75 / 4 = 0.4375, d' = 0.75 / 4 = 0.1875, p' - d' = 0.25
    # variance = (0.4375 + 0.1875 - 0.0625) / 4 = 0.140625, SE = 0.375
    # CI = 100 * (0.25 -/+ 1.959964 * 0.375) = [-48.4986, 98.4986]
    result = nps_from_scores([10])
    assert result.value == 100.0
    assert result.variance == pytest.approx(0.140625, abs=1e-12)
    assert result.ci_low == pytest.approx(-48.4986, abs=1e-4)
    assert result.ci_high == pytest.approx(98.4986, abs=1e-4)
    assert result.low_sample is True
    # Adjusted Wald shrinks towards zero, so at the extremes the plain NPS can lie outside
    # its own interval: documented behaviour, not a bug.
    assert result.ci_high is not None
    assert result.value > result.ci_high


def test_nps_single_detractor_mirrors_single_promoter() -> None:
    promoter = nps_from_scores([9])
    detractor = nps_from_scores([0])
    assert detractor.value == -100.0
    assert promoter.ci_low is not None
    assert promoter.ci_high is not None
    assert detractor.ci_low == pytest.approx(-promoter.ci_high, abs=1e-12)
    assert detractor.ci_high == pytest.approx(-promoter.ci_low, abs=1e-12)
    assert detractor.variance == promoter.variance


def test_nps_all_promoters_interval_is_clipped_at_100() -> None:
    # n = 30: n' = 33, p' = 30.75 / 33 = 0.931818, d' = 0.75 / 33 = 0.022727
    # p' - d' = 0.909091, variance = (0.954545 - 0.826446) / 33 = 0.00388179
    # unclipped CI = 100 * (0.909091 -/+ 0.122114) = [78.6977, 103.1205] -> high clipped to 100
    result = nps_from_counts(promoters=30, passives=0, detractors=0)
    assert result.value == 100.0
    assert result.variance == pytest.approx(0.00388179, abs=1e-8)
    assert result.ci_low == pytest.approx(78.6977, abs=1e-4)
    assert result.ci_high == 100.0
    assert result.low_sample is False


def test_nps_all_detractors_interval_is_clipped_at_minus_100() -> None:
    result = nps_from_counts(promoters=0, passives=0, detractors=30)
    assert result.value == -100.0
    assert result.ci_low == -100.0
    assert result.ci_high == pytest.approx(-78.6977, abs=1e-4)


def test_nps_passives_only_is_zero_with_symmetric_interval() -> None:
    # n' = 13, p' = d' = 0.75 / 13 = 0.0576923, variance = 0.1153846 / 13 = 0.00887574
    # CI = 0 -/+ 100 * 1.959964 * 0.0942111 = -/+ 18.4650
    result = nps_from_counts(promoters=0, passives=10, detractors=0)
    assert result.value == 0.0
    assert result.passive_pct == 100.0
    assert result.variance == pytest.approx(0.00887574, abs=1e-8)
    assert result.ci_high == pytest.approx(18.4650, abs=1e-4)
    assert result.ci_low == pytest.approx(-18.4650, abs=1e-4)


def test_nps_interval_narrows_as_sample_grows_for_fixed_shares() -> None:
    widths = []
    for multiplier in (1, 2, 5, 10, 50, 100, 1000):
        result = nps_from_counts(
            promoters=4 * multiplier, passives=3 * multiplier, detractors=3 * multiplier
        )
        assert result.value == pytest.approx(10.0)
        assert result.ci_low is not None
        assert result.ci_high is not None
        widths.append(result.ci_high - result.ci_low)
    assert widths == sorted(widths, reverse=True)
    assert len(set(widths)) == len(widths)
    # With 10,000 answers the half-width is close to the Wald value 1.96 * sqrt(0.69 / n).
    assert widths[-1] / 2 == pytest.approx(100 * Z_95 * math.sqrt(0.69 / 10_000), rel=1e-3)


def test_nps_low_sample_flag_threshold() -> None:
    assert nps_from_counts(promoters=29, passives=0, detractors=0).low_sample is True
    assert nps_from_counts(promoters=30, passives=0, detractors=0).low_sample is False


def test_nps_confidence_level_changes_the_width() -> None:
    at_90 = nps_from_counts(promoters=40, passives=30, detractors=30, confidence=0.90)
    at_95 = nps_from_counts(promoters=40, passives=30, detractors=30)
    at_99 = nps_from_counts(promoters=40, passives=30, detractors=30, confidence=0.99)
    widths = [r.ci_high - r.ci_low for r in (at_90, at_95, at_99)]  # type: ignore[operator]
    assert widths[0] < widths[1] < widths[2]
    # Same variance, so widths scale exactly with z.
    assert widths[2] / widths[1] == pytest.approx(2.5758293035489004 / Z_95, rel=1e-12)
    assert at_90.value == at_95.value == at_99.value
    assert at_90.variance == at_95.variance


@pytest.mark.parametrize(
    "kwargs",
    [
        {"promoters": -1, "passives": 0, "detractors": 0},
        {"promoters": 0, "passives": -0.5, "detractors": 0},
        {"promoters": 0, "passives": 0, "detractors": math.nan},
        {"promoters": math.inf, "passives": 0, "detractors": 0},
    ],
)
def test_nps_from_counts_rejects_invalid_counts(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        nps_from_counts(**kwargs)


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 95.0, math.nan])
def test_nps_rejects_invalid_confidence(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        nps_from_counts(promoters=1, passives=1, detractors=1, confidence=confidence)


def test_nps_result_is_frozen() -> None:
    result = nps_from_counts(promoters=1, passives=1, detractors=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 0.0  # type: ignore[misc]
    assert not hasattr(result, "__dict__")  # slots=True


@given(promoters=counts_strategy, passives=counts_strategy, detractors=counts_strategy)
def test_nps_properties(promoters: int, passives: int, detractors: int) -> None:
    assume(promoters + passives + detractors > 0)
    result = nps_from_counts(promoters=promoters, passives=passives, detractors=detractors)
    assert result.value is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert result.variance is not None
    assert -100.0 <= result.value <= 100.0
    assert -100.0 <= result.ci_low <= result.ci_high <= 100.0
    assert result.variance > 0
    pct_sum = result.promoter_pct + result.passive_pct + result.detractor_pct  # type: ignore[operator]
    assert pct_sum == pytest.approx(100.0, abs=1e-9)
    assert result.value == pytest.approx(result.promoter_pct - result.detractor_pct, abs=1e-9)  # type: ignore[operator]
    # Swapping promoters and detractors mirrors the result.
    mirrored = nps_from_counts(promoters=detractors, passives=passives, detractors=promoters)
    assert mirrored.value == pytest.approx(-result.value, abs=1e-9)
    assert mirrored.ci_low == pytest.approx(-result.ci_high, abs=1e-9)
    assert mirrored.variance == pytest.approx(result.variance, rel=1e-12)


@given(promoters=counts_strategy, passives=counts_strategy, detractors=counts_strategy)
def test_nps_variance_shrinks_when_sample_doubles(
    promoters: int, passives: int, detractors: int
) -> None:
    assume(promoters + passives + detractors > 0)
    single = nps_from_counts(promoters=promoters, passives=passives, detractors=detractors)
    double = nps_from_counts(
        promoters=2 * promoters, passives=2 * passives, detractors=2 * detractors
    )
    assert double.value == pytest.approx(single.value, abs=1e-9)
    assert double.variance < single.variance  # type: ignore[operator]


@given(st.lists(nps_score_strategy, max_size=200))
def test_nps_from_scores_counts_every_answer_once(scores: list[int]) -> None:
    result = nps_from_scores(scores)
    assert result.n == len(scores)
    assert result.promoters == sum(1 for s in scores if s >= 9)
    assert result.detractors == sum(1 for s in scores if s <= 6)


# --------------------------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.5, 0.0),
        (0.975, 1.959963984540054),
        (0.95, 1.6448536269514722),
        (0.995, 2.5758293035489004),
        (0.9, 1.2815515655446004),
        (0.025, -1.959963984540054),
        (1e-10, -6.361340902404056),
    ],
)
def test_normal_quantile_reference_values(p: float, expected: float) -> None:
    assert normal_quantile(p) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_normal_quantile_rejects_out_of_range(p: float) -> None:
    with pytest.raises(ValueError, match="strictly between"):
        normal_quantile(p)


@given(st.floats(min_value=1e-12, max_value=1 - 1e-12))
def test_normal_quantile_inverts_the_cdf(p: float) -> None:
    quantile = normal_quantile(p)
    assert 0.5 * math.erfc(-quantile / math.sqrt(2)) == pytest.approx(p, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [(0.95, Z_95), (0.90, 1.6448536269514722), (0.99, 2.5758293035489004), (0.80, 1.2815515655)],
)
def test_z_for_confidence(confidence: float, expected: float) -> None:
    assert z_for_confidence(confidence) == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(
    ("degrees_of_freedom", "table_value"),
    # Two-sided 95 % critical values from any textbook t table (e.g. Moore & McCabe, Table D).
    [
        (1, 12.706),
        (2, 4.303),
        (5, 2.571),
        (10, 2.228),
        (29, 2.045),
        (30, 2.042),
        (100, 1.984),
        (1000, 1.962),
    ],
)
def test_student_t_quantile_matches_t_table(degrees_of_freedom: int, table_value: float) -> None:
    assert round(student_t_quantile(0.975, degrees_of_freedom), 3) == table_value


@pytest.mark.parametrize(
    ("probability", "degrees_of_freedom", "expected"),
    # High-precision references (R qt(), SciPy t.ppf).
    [
        (0.975, 1, 12.706204736174694),
        (0.975, 2, 4.302652729749462),
        (0.975, 5, 2.5705818356363146),
        (0.975, 10, 2.228138851986274),
        (0.975, 19, 2.0930240544083087),
        (0.975, 29, 2.045229642132703),
        (0.975, 30, 2.0422724563012378),
        (0.975, 100, 1.9839715185235518),
        (0.975, 1000, 1.9623390808264083),
        (0.95, 3, 2.3533634348018233),
        (0.995, 4, 4.604094871349992),
        (0.9995, 7, 5.407882520861828),
        (0.6, 12, 0.25903274567688733),
        (0.975, 32 / 11 - 1, 4.505084626272547),  # fractional df from weighted data
        (0.975, 1e6, 1.959966356814107),
    ],
)
def test_student_t_quantile_high_precision(
    probability: float, degrees_of_freedom: float, expected: float
) -> None:
    assert student_t_quantile(probability, degrees_of_freedom) == pytest.approx(expected, rel=1e-9)


def test_student_t_quantile_closed_forms() -> None:
    # df = 1 is the Cauchy distribution: t = tan(pi (p - 1/2)).
    assert student_t_quantile(0.9, 1) == pytest.approx(math.tan(math.pi * 0.4), rel=1e-12)
    # df = 2: t = (2p - 1) / sqrt(2 p (1 - p)).
    p = 0.99
    assert student_t_quantile(p, 2) == pytest.approx(
        (2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-12
    )


def test_student_t_quantile_symmetry_and_median() -> None:
    assert student_t_quantile(0.5, 7) == 0.0
    assert student_t_quantile(0.025, 9) == pytest.approx(-student_t_quantile(0.975, 9), rel=1e-13)


@given(
    probability=st.floats(min_value=1e-6, max_value=1 - 1e-6),
    degrees_of_freedom=st.floats(min_value=1.0, max_value=1e7),
)
def test_student_t_quantile_inverts_cdf(probability: float, degrees_of_freedom: float) -> None:
    quantile = student_t_quantile(probability, degrees_of_freedom)
    assert student_t_cdf(quantile, degrees_of_freedom) == pytest.approx(
        probability, rel=1e-9, abs=1e-14
    )


@given(
    probability=st.floats(min_value=0.51, max_value=1 - 1e-6),
    degrees_of_freedom=st.floats(min_value=1.0, max_value=1e6),
)
def test_student_t_quantile_exceeds_normal_and_falls_with_df(
    probability: float, degrees_of_freedom: float
) -> None:
    quantile = student_t_quantile(probability, degrees_of_freedom)
    more_df = student_t_quantile(probability, degrees_of_freedom * 2)
    assert quantile >= normal_quantile(probability) * (1 - 1e-12)
    assert more_df <= quantile * (1 + 1e-12)


def test_student_t_cdf_reference_values() -> None:
    assert student_t_cdf(0.0, 5) == 0.5
    assert student_t_cdf(2.228138851986274, 10) == pytest.approx(0.975, abs=1e-13)
    assert student_t_cdf(-2.228138851986274, 10) == pytest.approx(0.025, abs=1e-13)
    # Cauchy: F(t) = 1/2 + atan(t) / pi.
    assert student_t_cdf(3.0, 1) == pytest.approx(0.5 + math.atan(3.0) / math.pi, rel=1e-13)
    assert student_t_cdf(math.inf, 3) == 1.0


@pytest.mark.parametrize(
    ("probability", "degrees_of_freedom"),
    [(0.0, 5), (1.0, 5), (0.5, 0), (0.5, -1), (0.5, math.inf), (0.5, math.nan)],
)
def test_student_t_quantile_rejects_invalid_input(
    probability: float, degrees_of_freedom: float
) -> None:
    with pytest.raises(ValueError, match="must be"):
        student_t_quantile(probability, degrees_of_freedom)


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------


def test_proportion_hand_computed_agresti_coull_example() -> None:
    # 7 successes out of 10 (hand-computed; Agresti & Coull 1998 / Sauro & Lewis 2016 method):
    #   z^2 = 3.841459, n~ = 13.841459, p~ = (7 + 1.920729) / 13.841459 = 0.644493
    #   variance = 0.644493 * 0.355507 / 13.841459 = 0.0165533, SE = 0.128660
    #   CI = 100 * (0.644493 -/+ 0.252170) = [39.2325, 89.6662]
    result = proportion(successes=7, n=10)
    assert result.value == 70.0
    assert result.n == 10
    assert result.successes == 7
    assert result.variance == pytest.approx(0.0165533, abs=1e-7)
    assert result.ci_low == pytest.approx(39.2325, abs=1e-4)
    assert result.ci_high == pytest.approx(89.6662, abs=1e-4)
    assert result.low_sample is True
    assert result.effective_n == 10


def test_proportion_zero_successes_is_clipped_at_zero() -> None:
    # p~ = 1.920729 / 13.841459 = 0.138766, unclipped CI = [-4.3355, 32.0887]
    result = proportion(successes=0, n=10)
    assert result.value == 0.0
    assert result.ci_low == 0.0
    assert result.ci_high == pytest.approx(32.0887, abs=1e-4)


def test_proportion_all_successes_is_clipped_at_100() -> None:
    result = proportion(successes=10, n=10)
    assert result.value == 100.0
    assert result.ci_low == pytest.approx(67.9113, abs=1e-4)
    assert result.ci_high == 100.0


def test_proportion_empty() -> None:
    result = proportion(successes=0, n=0)
    assert result == ProportionResult(
        value=None,
        n=0,
        successes=0,
        ci_low=None,
        ci_high=None,
        low_sample=True,
        variance=None,
        effective_n=None,
    )


def test_proportion_single_observation_has_an_interval() -> None:
    result = proportion(successes=1, n=1)
    assert result.value == 100.0
    assert result.ci_low is not None
    assert 0.0 < result.ci_low < 50.0
    assert result.ci_high == 100.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"successes": 11, "n": 10},
        {"successes": -1, "n": 10},
        {"successes": 1, "n": -10},
        {"successes": math.nan, "n": 10},
    ],
)
def test_proportion_rejects_invalid_input(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must be|cannot exceed"):
        proportion(**kwargs)


def _wilson_interval(successes: int, n: int, z: float) -> tuple[float, float]:
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


@given(n=st.integers(min_value=1, max_value=5_000), data=st.data())
def test_proportion_properties(n: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=n))
    result = proportion(successes=successes, n=n)
    assert result.value is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert 0.0 <= result.ci_low <= result.ci_high <= 100.0
    assert result.value == pytest.approx(100 * successes / n)
    # Agresti & Coull (1998): their interval always contains the Wilson score interval,
    # whose centre it shares.
    wilson_low, wilson_high = _wilson_interval(successes, n, Z_95)
    assert result.ci_low <= wilson_low + 1e-9
    assert result.ci_high >= wilson_high - 1e-9


# --------------------------------------------------------------------------------------------
# Means
# --------------------------------------------------------------------------------------------


def test_mean_from_counts_hand_computed() -> None:
    # counts {1: 2, 2: 3, 3: 5, 4: 6, 5: 4}: n = 20, sum x = 67, sum x^2 = 255
    # mean = 3.35, SS = 255 - 67^2 / 20 = 30.55, s^2 = 30.55 / 19 = 1.607895, s = 1.268028
    # SE = s / sqrt(20) = 0.283540, t(0.975, 19) = 2.093024, half-width = 0.593455
    # CI = [2.756545, 3.943455]
    result = mean_from_counts({1: 2, 2: 3, 3: 5, 4: 6, 5: 4})
    assert result.value == pytest.approx(3.35)
    assert result.n == 20
    assert result.std_dev == pytest.approx(1.268028, abs=1e-6)
    assert result.variance == pytest.approx(1.607895 / 20, abs=1e-7)
    assert result.ci_low == pytest.approx(2.756545, abs=1e-6)
    assert result.ci_high == pytest.approx(3.943455, abs=1e-6)
    assert result.low_sample is True
    assert result.effective_n == 20


def test_mean_from_moments_matches_statistics_module() -> None:
    values = [4, 5, 5, 3, 2, 5, 4, 4, 1, 5, 3, 4]
    result = mean_from_moments(
        n=len(values), total=sum(values), total_of_squares=sum(v * v for v in values)
    )
    import statistics

    assert result.value == pytest.approx(statistics.fmean(values), rel=1e-14)
    assert result.std_dev == pytest.approx(statistics.stdev(values), rel=1e-12)


def test_mean_single_observation_has_value_but_no_spread() -> None:
    result = mean_from_moments(n=1, total=4, total_of_squares=16)
    assert result == MeanResult(
        value=4.0,
        n=1,
        std_dev=None,
        ci_low=None,
        ci_high=None,
        low_sample=True,
        variance=None,
        effective_n=1,
    )


def test_mean_empty() -> None:
    result = mean_from_moments(n=0, total=0, total_of_squares=0)
    assert result.value is None
    assert result.std_dev is None
    assert result.ci_low is None
    assert result.ci_high is None
    assert result.variance is None
    assert result.effective_n is None
    assert result.low_sample is True
    assert mean_from_counts({}) == result


def test_mean_two_observations_uses_df_1() -> None:
    # values 3 and 5: mean 4, s^2 = 2, SE = 1, t(0.975, 1) = 12.7062
    result = mean_from_moments(n=2, total=8, total_of_squares=34)
    assert result.std_dev == pytest.approx(math.sqrt(2))
    assert result.ci_low == pytest.approx(4 - 12.706204736174694, rel=1e-9)
    assert result.ci_high == pytest.approx(4 + 12.706204736174694, rel=1e-9)


def test_mean_of_identical_values_has_zero_spread_even_with_rounding() -> None:
    # 0.1 is not exact in binary, so sum x^2 - (sum x)^2 / n is a tiny negative number.
    n = 10
    result = mean_from_moments(n=n, total=0.1 * n, total_of_squares=0.01 * n)
    assert result.std_dev == pytest.approx(0.0, abs=1e-7)
    assert result.ci_low == pytest.approx(0.1)
    assert result.ci_high == pytest.approx(0.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": -1, "total": 0, "total_of_squares": 0},
        {"n": 3, "total": math.nan, "total_of_squares": 0},
        {"n": 3, "total": 3, "total_of_squares": -1},
        {"n": 3, "total": 3, "total_of_squares": 3, "effective_n": -1},
    ],
)
def test_mean_from_moments_rejects_invalid_input(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        mean_from_moments(**kwargs)


def test_mean_from_counts_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        mean_from_counts({1: 3, 2: -1})


@given(st.lists(st.integers(min_value=1, max_value=10), min_size=2, max_size=300))
def test_mean_properties(values: list[int]) -> None:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    result = mean_from_counts(counts)
    assert result.value is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert min(values) - 1e-9 <= result.value <= max(values) + 1e-9
    assert result.ci_low <= result.value <= result.ci_high
    assert result.std_dev is not None
    assert result.variance == pytest.approx(result.std_dev**2 / len(values), abs=1e-12)


# --------------------------------------------------------------------------------------------
# CSAT, CES and distributions
# --------------------------------------------------------------------------------------------


def test_csat_five_point_top_two_box() -> None:
    counts = {1: 2, 2: 3, 3: 5, 4: 6, 5: 4}
    result = csat_from_counts(counts)
    assert isinstance(result, CsatResult)
    assert result.scale_max == 5
    assert result.top2box == proportion(successes=10, n=20)
    assert result.top2box.value == 50.0
    assert result.mean == mean_from_counts(counts)


@pytest.mark.parametrize(
    ("scale_max", "counts", "expected_top2_pct"),
    [
        (7, {1: 1, 5: 1, 6: 1, 7: 1}, 50.0),
        (10, {1: 1, 8: 1, 9: 1, 10: 1}, 50.0),
        (10, {8: 4}, 0.0),
    ],
)
def test_csat_top_two_box_on_other_scales(
    scale_max: int, counts: dict[int, int], expected_top2_pct: float
) -> None:
    assert csat_from_counts(counts, scale_max=scale_max).top2box.value == expected_top2_pct


def test_csat_empty() -> None:
    result = csat_from_counts({})
    assert result.top2box.value is None
    assert result.mean.value is None


def test_csat_rejects_invalid_scale_and_scores() -> None:
    with pytest.raises(ValueError, match="scale_max"):
        csat_from_counts({1: 1}, scale_max=4)
    with pytest.raises(ValueError, match="outside the scale"):
        csat_from_counts({6: 1}, scale_max=5)
    with pytest.raises(ValueError, match="outside the scale"):
        csat_from_counts({0: 1}, scale_max=5)
    with pytest.raises(ValueError, match="must be >= 0"):
        csat_from_counts({5: -2})


def test_ces_seven_point_agree_share() -> None:
    counts = {1: 1, 2: 1, 3: 2, 4: 4, 5: 6, 6: 4, 7: 2}
    # agree = 5..7 = 6 + 4 + 2 = 12 of 20; mean = (1 + 2 + 6 + 16 + 30 + 24 + 14) / 20 = 4.65
    result = ces_from_counts(counts)
    assert isinstance(result, CesResult)
    assert result.scale_max == 7
    assert result.agree == proportion(successes=12, n=20)
    assert result.mean.value == pytest.approx(4.65)


def test_ces_five_point_agree_share() -> None:
    result = ces_from_counts({1: 1, 3: 1, 4: 1, 5: 1}, scale_max=5)
    assert result.agree.value == 50.0


@pytest.mark.parametrize("scale_max", [3, 4, 6, 10])
def test_ces_rejects_unsupported_scales(scale_max: int) -> None:
    with pytest.raises(ValueError, match="CES scale_max"):
        ces_from_counts({1: 1}, scale_max=scale_max)


def test_ces_rejects_scores_outside_scale() -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        ces_from_counts({8: 1})


def test_score_distribution_fills_missing_points() -> None:
    assert score_distribution({1: 2, 3: 6}, low=1, high=5) == (
        (1, 2, 25.0),
        (2, 0, 0.0),
        (3, 6, 75.0),
        (4, 0, 0.0),
        (5, 0, 0.0),
    )


def test_score_distribution_nps_scale_and_empty() -> None:
    distribution = score_distribution({}, low=0, high=10)
    assert [score for score, _, _ in distribution] == list(range(11))
    assert all(count == 0 and pct == 0.0 for _, count, pct in distribution)


def test_score_distribution_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        score_distribution({11: 1}, low=0, high=10)
    with pytest.raises(ValueError, match="must not exceed"):
        score_distribution({}, low=5, high=1)
    with pytest.raises(ValueError, match="must be >= 0"):
        score_distribution({1: -1}, low=1, high=5)


@given(
    st.dictionaries(st.integers(min_value=1, max_value=7), st.integers(min_value=0, max_value=1000))
)
def test_score_distribution_percentages_sum_to_100(counts: dict[int, int]) -> None:
    distribution = score_distribution(counts, low=1, high=7)
    assert len(distribution) == 7
    assert sum(count for _, count, _ in distribution) == sum(counts.values())
    if sum(counts.values()) > 0:
        assert math.fsum(pct for _, _, pct in distribution) == pytest.approx(100.0)


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------


def test_compare_nps_hand_computed() -> None:
    # Hand-computed (the MeasuringU worked example could not be retrieved):
    # a: 40 / 30 / 30 of 100 -> NPS 10;  n' = 103, p' = 0.395631, d' = 0.298544,
    #    var_a = (0.694175 - 0.097087^2) / 103 = 0.00664805
    # b: 55 / 25 / 20 of 100 -> NPS 35;  p' = 0.541262, d' = 0.201456,
    #    var_b = (0.742718 - 0.339806^2) / 103 = 0.00608981
    # SE = sqrt(0.00664805 + 0.00608981) = 0.112862; z = 0.25 / 0.112862 = 2.215092
    # p = erfc(2.215092 / sqrt 2) = 0.026754; CI = 25 -/+ 100 * 1.959964 * 0.112862
    #   = [2.8794, 47.1206]
    a = nps_from_counts(promoters=40, passives=30, detractors=30)
    b = nps_from_counts(promoters=55, passives=25, detractors=20)
    result = compare_nps(a, b)
    assert result.difference == pytest.approx(25.0)
    assert result.z == pytest.approx(2.215092, abs=1e-6)
    assert result.p_value == pytest.approx(0.026754, abs=1e-6)
    assert result.ci_low == pytest.approx(2.8794, abs=1e-4)
    assert result.ci_high == pytest.approx(47.1206, abs=1e-4)
    assert result.significant is True
    assert (result.n_a, result.n_b) == (100, 100)
    # Not significant at 99 % (p = 0.027 > 0.01), and the 99 % interval spans zero.
    strict = compare_nps(a, b, confidence=0.99)
    assert strict.significant is False
    assert strict.ci_low is not None
    assert strict.ci_low < 0 < strict.ci_high  # type: ignore[operator]


def test_compare_nps_identical_results() -> None:
    a = nps_from_counts(promoters=40, passives=30, detractors=30)
    result = compare_nps(a, a)
    assert result.difference == 0.0
    assert result.z == 0.0
    assert result.p_value == pytest.approx(1.0)
    assert result.significant is False


def test_compare_nps_with_an_empty_side() -> None:
    empty = nps_from_counts(promoters=0, passives=0, detractors=0)
    full = nps_from_counts(promoters=40, passives=30, detractors=30)
    for result in (compare_nps(empty, full), compare_nps(full, empty)):
        assert result == Comparison(
            difference=None,
            ci_low=None,
            ci_high=None,
            p_value=None,
            z=None,
            significant=False,
            n_a=result.n_a,
            n_b=result.n_b,
        )
    assert compare_nps(empty, full).n_b == 100


def test_compare_nps_difference_interval_is_clipped_to_200() -> None:
    a = nps_from_scores([0])
    b = nps_from_scores([10])
    result = compare_nps(a, b)
    assert result.difference == 200.0
    assert result.ci_high == 200.0
    assert result.ci_low is not None
    assert result.ci_low < 200.0


@given(
    counts_a=st.tuples(counts_strategy, counts_strategy, counts_strategy),
    counts_b=st.tuples(counts_strategy, counts_strategy, counts_strategy),
)
def test_compare_nps_is_antisymmetric(
    counts_a: tuple[int, int, int], counts_b: tuple[int, int, int]
) -> None:
    assume(sum(counts_a) > 0 and sum(counts_b) > 0)
    a = nps_from_counts(promoters=counts_a[0], passives=counts_a[1], detractors=counts_a[2])
    b = nps_from_counts(promoters=counts_b[0], passives=counts_b[1], detractors=counts_b[2])
    forward = compare_nps(a, b)
    backward = compare_nps(b, a)
    assert forward.difference == pytest.approx(-backward.difference, abs=1e-9)  # type: ignore[operator]
    assert forward.p_value == pytest.approx(backward.p_value, abs=1e-12)
    assert forward.significant == backward.significant
    assert 0.0 <= forward.p_value <= 1.0  # type: ignore[operator]
    assert -200.0 <= forward.ci_low <= forward.ci_high <= 200.0  # type: ignore[operator]
    # The interval excludes zero exactly when the test is significant (same z, same SE),
    # except where clipping or rounding at the boundary interferes.
    if abs(abs(forward.z) - Z_95) > 1e-9:  # type: ignore[arg-type]
        excludes_zero = forward.ci_low > 0 or forward.ci_high < 0  # type: ignore[operator]
        assert excludes_zero == forward.significant


def test_compare_proportions_hand_computed() -> None:
    # a: 45 / 60 = 75 %, p~ = (45 + 1.920729) / 63.841459 = 0.734957, var_a = 0.00305123
    # b: 30 / 60 = 50 %, p~ = 0.5, var_b = 0.25 / 63.841459 = 0.00391595
    # SE = sqrt(0.00696718) = 0.0834697; z = -0.25 / 0.0834697 = -2.995100; p = 0.0027435
    # CI = -25 -/+ 100 * 1.959964 * 0.0834697 = [-41.3598, -8.6402]
    a = proportion(successes=45, n=60)
    b = proportion(successes=30, n=60)
    result = compare_proportions(a, b)
    assert result.difference == pytest.approx(-25.0)
    assert result.z == pytest.approx(-2.995100, abs=1e-6)
    assert result.p_value == pytest.approx(0.0027435, abs=1e-7)
    assert result.ci_low == pytest.approx(-41.3598, abs=1e-4)
    assert result.ci_high == pytest.approx(-8.6402, abs=1e-4)
    assert result.significant is True


def test_compare_proportions_at_the_boundaries_stays_defined() -> None:
    a = proportion(successes=0, n=50)
    b = proportion(successes=0, n=50)
    result = compare_proportions(a, b)
    assert result.difference == 0.0
    assert result.p_value == pytest.approx(1.0)
    assert result.significant is False


def test_compare_proportions_with_an_empty_side() -> None:
    result = compare_proportions(proportion(successes=0, n=0), proportion(successes=5, n=10))
    assert result.difference is None
    assert result.p_value is None
    assert result.significant is False
    assert (result.n_a, result.n_b) == (0, 10)


def test_compare_means_hand_computed() -> None:
    # a: n = 50, mean 4.0, s = 1.0 -> sum x = 200, sum x^2 = 49 * 1 + 50 * 16 = 849
    # b: n = 40, mean 4.5, s = 1.2 -> sum x = 180, sum x^2 = 39 * 1.44 + 40 * 20.25 = 866.16
    # SE = sqrt(1/50 + 1.44/40) = sqrt(0.056) = 0.236643; z = 0.5 / 0.236643 = 2.112886
    # p = 0.034611; CI = 0.5 -/+ 1.959964 * 0.236643 = [0.036188, 0.963812]
    a = mean_from_moments(n=50, total=200, total_of_squares=849)
    b = mean_from_moments(n=40, total=180, total_of_squares=866.16)
    assert a.std_dev == pytest.approx(1.0)
    assert b.std_dev == pytest.approx(1.2)
    result = compare_means(a, b)
    assert result.difference == pytest.approx(0.5)
    assert result.z == pytest.approx(2.112886, abs=1e-6)
    assert result.p_value == pytest.approx(0.034611, abs=1e-6)
    assert result.ci_low == pytest.approx(0.036188, abs=1e-6)
    assert result.ci_high == pytest.approx(0.963812, abs=1e-6)
    assert result.significant is True
    assert (result.n_a, result.n_b) == (50, 40)


def test_compare_means_with_single_observation_reports_difference_only() -> None:
    a = mean_from_moments(n=1, total=3, total_of_squares=9)
    b = mean_from_moments(n=10, total=40, total_of_squares=170)
    result = compare_means(a, b)
    assert result.difference == pytest.approx(1.0)
    assert result.p_value is None
    assert result.z is None
    assert result.ci_low is None
    assert result.significant is False


def test_compare_means_with_an_empty_side() -> None:
    empty = mean_from_moments(n=0, total=0, total_of_squares=0)
    b = mean_from_moments(n=10, total=40, total_of_squares=170)
    assert compare_means(empty, b).difference is None
    assert compare_means(b, empty).difference is None


def test_compare_means_without_any_variability_is_not_tested() -> None:
    a = mean_from_counts({4: 30})
    b = mean_from_counts({5: 30})
    result = compare_means(a, b)
    assert result.difference == 1.0
    assert (result.ci_low, result.ci_high) == (1.0, 1.0)
    assert result.z is None
    assert result.p_value is None
    assert result.significant is False


# --------------------------------------------------------------------------------------------
# Weighting
# --------------------------------------------------------------------------------------------


def test_kish_effective_n() -> None:
    # Equal weights: n_eff = n.  Weights 2, 1, 1, 0.5, 1.5: (6)^2 / 8.5 = 4.235294
    assert kish_effective_n(10.0, 10.0) == 10.0
    assert kish_effective_n(10 * 3.0, 10 * 9.0) == pytest.approx(10.0)
    assert kish_effective_n(6.0, 8.5) == pytest.approx(4.235294, abs=1e-6)
    assert kish_effective_n(0.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="both be zero"):
        kish_effective_n(1.0, 0.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        kish_effective_n(-1.0, 1.0)


def test_nps_weighted_hand_computed() -> None:
    # pairs (10, 2.0), (9, 1.0), (8, 1.0), (3, 0.5), (0, 1.5)
    # promoters_w = 3, passives_w = 1, detractors_w = 2, sum w = 6, sum w^2 = 8.5
    # NPS = 100 * (3 - 2) / 6 = 16.667; n_eff = 36 / 8.5 = 72/17 = 4.235294
    # n' = 72/17 + 3 = 123/17; p' = (0.5 * 72/17 + 0.75) / (123/17) = 48.75 / 123 = 0.396341
    # d' = (1/3 * 72/17 + 0.75) / (123/17) = 36.75 / 123 = 0.298780
    # variance = (0.695122 - 0.097561^2) / 7.235294 = 0.0947582
    # CI = 100 * (0.097561 -/+ 1.959964 * 0.307828) = [-50.5771, 70.0893]
    result = nps_weighted([(10, 2.0), (9, 1.0), (8, 1.0), (3, 0.5), (0, 1.5)])
    assert result.n == 5
    assert result.value == pytest.approx(16.666667, abs=1e-6)
    assert result.promoters == 3.0
    assert result.passives == 1.0
    assert result.detractors == 2.0
    assert result.promoter_pct == pytest.approx(50.0)
    assert result.effective_n == pytest.approx(4.235294, abs=1e-6)
    assert result.variance == pytest.approx(0.0947582, abs=1e-7)
    assert result.ci_low == pytest.approx(-50.5771, abs=1e-4)
    assert result.ci_high == pytest.approx(70.0893, abs=1e-4)
    assert result.low_sample is True


def test_nps_from_weighted_totals_matches_pairs() -> None:
    from_pairs = nps_weighted([(10, 2.0), (9, 1.0), (8, 1.0), (3, 0.5), (0, 1.5)])
    from_totals = nps_from_weighted_totals(
        promoters_w=3.0, passives_w=1.0, detractors_w=2.0, sum_w=6.0, sum_w2=8.5, n=5
    )
    assert from_totals == from_pairs


def test_weighted_nps_empty() -> None:
    assert nps_weighted([]) == nps_from_counts(promoters=0, passives=0, detractors=0)
    empty_totals = nps_from_weighted_totals(
        promoters_w=0, passives_w=0, detractors_w=0, sum_w=0, sum_w2=0, n=0
    )
    assert empty_totals.value is None
    assert empty_totals.n == 0


@pytest.mark.parametrize("bad_weight", [0.0, -1.0, math.nan, math.inf])
def test_weights_must_be_positive_and_finite(bad_weight: float) -> None:
    with pytest.raises(ValueError, match="weights must be"):
        nps_weighted([(10, 1.0), (5, bad_weight)])
    with pytest.raises(ValueError, match="weights must be"):
        proportion_weighted([(True, bad_weight)])
    with pytest.raises(ValueError, match="weights must be"):
        mean_weighted([(4.0, bad_weight)])


@pytest.mark.parametrize(
    "kwargs",
    [
        # categories do not add up to sum_w
        {"promoters_w": 3.0, "passives_w": 1.0, "detractors_w": 1.0, "sum_w": 6.0},
        # sum_w and sum_w2 swapped: n_eff = 8.5^2 / 6 = 12.04 > n = 5
        {"sum_w": 8.5, "sum_w2": 6.0, "promoters_w": 4.5, "passives_w": 2.0},
        # n_eff < 1 is impossible for positive weights
        {"sum_w": 1.0, "sum_w2": 4.0, "promoters_w": 0.5, "passives_w": 0.5, "detractors_w": 0},
        # weights present but n == 0
        {"n": 0},
        {"n": -1},
        {"n": 5.0},
    ],
)
def test_nps_from_weighted_totals_rejects_inconsistent_totals(kwargs: dict[str, float]) -> None:
    arguments: dict[str, float] = {
        "promoters_w": 3.0,
        "passives_w": 1.0,
        "detractors_w": 2.0,
        "sum_w": 6.0,
        "sum_w2": 8.5,
        "n": 5,
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=r"must|inconsistent|add up"):
        nps_from_weighted_totals(**arguments)  # type: ignore[arg-type]


@given(st.lists(nps_score_strategy, max_size=300))
def test_nps_weighted_with_unit_weights_equals_unweighted_exactly(scores: list[int]) -> None:
    assert nps_weighted([(score, 1.0) for score in scores]) == nps_from_scores(scores)


@given(
    st.lists(st.tuples(nps_score_strategy, weight_strategy), min_size=1, max_size=100),
    st.floats(min_value=0.1, max_value=1000.0),
)
def test_nps_weighted_is_invariant_to_rescaling_weights(
    pairs: list[tuple[int, float]], factor: float
) -> None:
    original = nps_weighted(pairs)
    rescaled = nps_weighted([(score, weight * factor) for score, weight in pairs])
    assert rescaled.value == pytest.approx(original.value, abs=1e-9)
    assert rescaled.effective_n == pytest.approx(original.effective_n, rel=1e-9)
    assert rescaled.ci_low == pytest.approx(original.ci_low, abs=1e-8)
    assert rescaled.ci_high == pytest.approx(original.ci_high, abs=1e-8)


@given(st.lists(st.tuples(nps_score_strategy, weight_strategy), min_size=1, max_size=100))
def test_nps_weighted_properties(pairs: list[tuple[int, float]]) -> None:
    result = nps_weighted(pairs)
    assert result.n == len(pairs)
    assert result.effective_n is not None
    assert 1.0 - 1e-9 <= result.effective_n <= len(pairs) + 1e-9
    assert -100.0 <= result.ci_low <= result.ci_high <= 100.0  # type: ignore[operator]
    pct_sum = result.promoter_pct + result.passive_pct + result.detractor_pct  # type: ignore[operator]
    assert pct_sum == pytest.approx(100.0)
    # Unequal weights cost precision: never narrower than the same shares with n_eff = n.
    unweighted_equivalent = nps_from_counts(
        promoters=result.promoter_pct * len(pairs) / 100,  # type: ignore[operator]
        passives=result.passive_pct * len(pairs) / 100,  # type: ignore[operator]
        detractors=result.detractor_pct * len(pairs) / 100,  # type: ignore[operator]
    )
    assert result.variance >= unweighted_equivalent.variance * (1 - 1e-9)  # type: ignore[operator]


def test_proportion_weighted_hand_computed() -> None:
    # (True, 3.0), (False, 1.0), (True, 1.0), (False, 1.0): share = 4 / 6 = 66.667 %
    # sum w^2 = 12, n_eff = 36 / 12 = 3; n~ = 3 + 3.841459 = 6.841459
    # p~ = (0.666667 * 3 + 1.920729) / 6.841459 = 3.920729 / 6.841459 = 0.573084
    # variance = 0.573084 * 0.426916 / 6.841459 = 0.0357612
    # CI = 100 * (0.573084 -/+ 1.959964 * 0.189106) = [20.2442, 94.3725]
    result = proportion_weighted([(True, 3.0), (False, 1.0), (True, 1.0), (False, 1.0)])
    assert result.value == pytest.approx(66.666667, abs=1e-6)
    assert result.n == 4
    assert result.successes == 4.0
    assert result.effective_n == pytest.approx(3.0)
    assert result.variance == pytest.approx(0.0357612, abs=1e-7)
    assert result.ci_low == pytest.approx(20.2442, abs=1e-4)
    assert result.ci_high == pytest.approx(94.3725, abs=1e-4)


def test_proportion_from_weighted_totals_matches_pairs_and_validates() -> None:
    from_pairs = proportion_weighted([(True, 3.0), (False, 1.0), (True, 1.0), (False, 1.0)])
    assert (
        proportion_from_weighted_totals(successes_w=4.0, sum_w=6.0, sum_w2=12.0, n=4) == from_pairs
    )
    with pytest.raises(ValueError, match="cannot exceed"):
        proportion_from_weighted_totals(successes_w=7.0, sum_w=6.0, sum_w2=12.0, n=4)


@given(st.lists(st.booleans(), max_size=300))
def test_proportion_weighted_with_unit_weights_equals_unweighted(outcomes: list[bool]) -> None:
    weighted = proportion_weighted([(outcome, 1.0) for outcome in outcomes])
    assert weighted == proportion(successes=sum(outcomes), n=len(outcomes))


def test_mean_weighted_hand_computed() -> None:
    # (5, 2.0), (4, 1.0), (2, 0.5), (1, 0.5): sum w = 4, sum w x = 15.5, sum w x^2 = 68.5,
    # sum w^2 = 5.5 -> mean = 3.875, n_eff = 16 / 5.5 = 2.909091, df = 1.909091
    # SS = 68.5 - 15.5^2 / 4 = 8.4375; s^2 = 8.4375 / 4 * 2.909091 / 1.909091 = 3.214286
    # variance of mean = 3.214286 / 2.909091 = 1.104911, SE = 1.051147
    # t(0.975, 1.909091) = 4.505085 -> CI = 3.875 -/+ 4.735424
    result = mean_weighted([(5, 2.0), (4, 1.0), (2, 0.5), (1, 0.5)])
    assert result.value == pytest.approx(3.875)
    assert result.n == 4
    assert result.effective_n == pytest.approx(2.909091, abs=1e-6)
    assert result.std_dev == pytest.approx(math.sqrt(3.214286), abs=1e-6)
    assert result.variance == pytest.approx(1.104911, abs=1e-6)
    half_width = 4.505084626272547 * math.sqrt(1.1049107142857142)
    assert result.ci_low == pytest.approx(3.875 - half_width, abs=1e-6)
    assert result.ci_high == pytest.approx(3.875 + half_width, abs=1e-6)


def test_mean_from_weighted_moments_matches_pairs() -> None:
    from_pairs = mean_weighted([(5, 2.0), (4, 1.0), (2, 0.5), (1, 0.5)])
    from_totals = mean_from_weighted_moments(sum_w=4.0, sum_wx=15.5, sum_wx2=68.5, sum_w2=5.5, n=4)
    assert from_totals == from_pairs
    assert mean_from_moments(n=4.0, total=15.5, total_of_squares=68.5, effective_n=16 / 5.5) == (
        dataclasses.replace(from_pairs, n=4)
    )


def test_mean_weighted_with_too_few_effective_observations_has_no_interval() -> None:
    # Two answers with weights 9 and 1: n_eff = 100 / 82 = 1.22 -> spread but df < 1.
    result = mean_weighted([(5, 9.0), (1, 1.0)])
    assert result.effective_n == pytest.approx(100 / 82)
    assert result.std_dev is not None
    assert result.ci_low is None
    assert result.ci_high is None


@given(st.lists(st.integers(min_value=1, max_value=7), max_size=300))
def test_mean_weighted_with_unit_weights_equals_unweighted_exactly(values: list[int]) -> None:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    assert mean_weighted([(value, 1.0) for value in values]) == mean_from_counts(counts)


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("margin_points", "expected"),
    # Classic n = z^2 p (1 - p) / e^2 (Cochran 1977) with p = 0.5 at 95 %: the textbook
    # 385 (+/-5), 1068 (+/-3) and 9604 (+/-1) respondents.
    [(5, 385), (3, 1068), (1, 9604), (10, 97)],
)
def test_proportion_sample_size_classic_values(margin_points: float, expected: int) -> None:
    assert proportion_sample_size(margin_points=margin_points) == expected


def test_proportion_sample_size_other_inputs() -> None:
    # z = 2.575829 (99 %), p = 0.2: 6.634897 * 0.16 / 0.0025 = 424.63 -> 425
    assert proportion_sample_size(margin_points=5, confidence=0.99, expected_share=0.2) == 425
    assert proportion_sample_size(margin_points=5, expected_share=0.0) == 1
    with pytest.raises(ValueError, match="margin_points"):
        proportion_sample_size(margin_points=0)
    with pytest.raises(ValueError, match="expected_share"):
        proportion_sample_size(margin_points=5, expected_share=1.5)


def test_nps_sample_size_hand_computed() -> None:
    # Worst case p = d = 0.5: per-respondent variance = 1 - 0 = 1.
    # +/-5 points: n' = 1.959964^2 / 0.05^2 = 1536.58 -> 1537, minus the 3 pseudo-respondents
    assert nps_sample_size(margin_points=5) == 1534
    # +/-10 points: 384.15 -> 385 - 3 = 382
    assert nps_sample_size(margin_points=10) == 382
    # p = 0.4, d = 0.2: variance = 0.6 - 0.2^2 = 0.56; 3.841459 * 0.56 / 0.0025 = 860.49
    assert nps_sample_size(margin_points=5, promoter_share=0.4, detractor_share=0.2) == 858
    # Huge margins never go below one respondent.
    assert nps_sample_size(margin_points=200) == 1


def test_nps_sample_size_delivers_the_requested_margin() -> None:
    n = nps_sample_size(margin_points=5, promoter_share=0.4, detractor_share=0.2)
    # At the planned n with the expected shares the adjusted-Wald half-width is within 5.
    result = nps_from_counts(promoters=0.4 * n, passives=0.4 * n, detractors=0.2 * n)
    assert result.variance is not None
    assert 100 * Z_95 * math.sqrt(result.variance) <= 5.0 + 1e-3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"margin_points": 0},
        {"margin_points": -5},
        {"margin_points": 5, "promoter_share": 0.7, "detractor_share": 0.5},
        {"margin_points": 5, "promoter_share": -0.1},
        {"margin_points": 5, "confidence": 1.0},
    ],
)
def test_nps_sample_size_rejects_invalid_input(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|cannot"):
        nps_sample_size(**kwargs)


# --------------------------------------------------------------------------------------------
# Customer retention
# --------------------------------------------------------------------------------------------


def test_customer_retention_rate() -> None:
    # CRR = (E - N) / S = (180 - 30) / 200 = 75 %
    result = customer_retention_rate(customers_at_start=200, customers_at_end=180, new_customers=30)
    assert result == RetentionResult(
        value=75.0,
        customers_at_start=200,
        customers_at_end=180,
        new_customers=30,
        retained_customers=150,
    )


def test_customer_retention_rate_edge_cases() -> None:
    full = customer_retention_rate(customers_at_start=10, customers_at_end=15, new_customers=5)
    assert full.value == 100.0
    lost_all = customer_retention_rate(customers_at_start=10, customers_at_end=4, new_customers=4)
    assert lost_all.value == 0.0
    no_base = customer_retention_rate(customers_at_start=0, customers_at_end=5, new_customers=5)
    assert no_base.value is None
    assert no_base.retained_customers == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"customers_at_start": -1, "customers_at_end": 0, "new_customers": 0},
        {"customers_at_start": 10, "customers_at_end": -1, "new_customers": 0},
        {"customers_at_start": 10, "customers_at_end": 5, "new_customers": -1},
        {"customers_at_start": 10, "customers_at_end": 5, "new_customers": 6},
        {"customers_at_start": 10, "customers_at_end": 15, "new_customers": 2},
        {"customers_at_start": 10.0, "customers_at_end": 5, "new_customers": 1},
    ],
)
def test_customer_retention_rate_rejects_invalid_input(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"must be|cannot exceed"):
        customer_retention_rate(**kwargs)
