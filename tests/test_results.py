"""The result protocol (evaluation.results) on every public result type, with real examples.

For each type: ``tidy()`` starts with the fixed columns and carries the figures the type's attributes hold;
``records(prefix)`` equals what the notebooks record by hand today (the record calls are repeated here, as the
notebooks write them); ``plot()`` returns a Figure whose title and axes are in the reader's language;
``summary(lang)`` is text in that language. A public function that starts returning a new type without the protocol
fails :func:`test_every_result_type_has_the_protocol_and_an_example`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import evaluation  # noqa: E402
from evaluation.impact.district_scm import PANEL_OUTCOMES, district_synthetic_control  # noqa: E402
from evaluation.impact.drdid import TwoByTwo  # noqa: E402
from evaluation.impact.its import interrupted_time_series  # noqa: E402
from evaluation.impact.panels import outcome_panel  # noqa: E402
from evaluation.impact.sensitivity import AnticipationSensitivity, pre_max_level_bounds  # noqa: E402
from evaluation.impact.summary import FEW_CONTROLS, impact_summary  # noqa: E402
from evaluation.impact.synthetic_control import PlaceboResult  # noqa: E402
from evaluation.indicators.counts import fit_negative_binomial  # noqa: E402
from evaluation.indicators.intervals import rate_ratio_exact  # noqa: E402
from evaluation.indicators.organisation import organisation_indicators  # noqa: E402
from evaluation.report.record import _payload, tidy_to_records  # noqa: E402
from evaluation.results import FIXED, IndicatorTable, Result, ResultFrame, ResultMixin  # noqa: E402
from evaluation.survey import omega, recommendation_score, reliability  # noqa: E402
from evaluation.survey.indices import SERVICE_ITEMS  # noqa: E402
from evaluation.survey.power import n_for_mean_change  # noqa: E402
from evaluation.survey.wave import (domain_difference, pooled_trend, wave_differences, wave_estimates,  # noqa: E402
                                    weighted_design, weighting_summary)
from evaluation.text.i18n import t  # noqa: E402

CJK = re.compile(r"[\u4e00-\u9fff]")
REF = Path(__file__).resolve().parent / "reference"


def rec(key, value, **extra):
    """What ``record(key, value, **extra)`` writes into results.json."""
    return {key: _payload(key, value, **extra)["result"]}


def written(records):
    """What ``record_many(records)`` writes into results.json."""
    out = {}
    for key, fields in records.items():
        fields = dict(fields)
        out.update(rec(key, fields.pop("value"), **fields))
    return out


@pytest.fixture(scope="module")
def district(bundled_district):
    return bundled_district


@pytest.fixture(scope="module")
def examples(district):
    """``{name: (result, expected fixed columns from its attributes or None, notebook records or None)}``."""
    ex = {}
    T = district.tables
    survey = T["survey_responses"]
    waves = sorted(int(w) for w in survey["wave"].dropna().unique())[-3:]
    designs = {w: weighted_design(survey, T["population_margins"], w) for w in waves}
    now = designs[waves[-1]]

    # survey: a design estimate, as notebook 20 records the unweighted and participation figures
    e = now.design.mean("q_participated_12m", na_rm=True)
    n = int(now.design.data["q_participated_12m"].notna().sum())
    r = e.iloc[0]
    ex["SurveyEstimates"] = (e, [(r["estimate"], r["se"], r["ci_low"], r["ci_high"], np.nan)],
                             (e.records("survey.participation_rate", n=n),
                              rec("survey.participation_rate", r["estimate"], se=r["se"], ci_low=r["ci_low"],
                                  ci_high=r["ci_high"], n=n)))
    nps = recommendation_score(now.design)
    assert isinstance(nps, ResultFrame)

    ws = weighting_summary(list(designs.values()))
    this = ws[ws["wave"] == waves[-1]].iloc[0]
    ex["WeightingSummary"] = (ws, [(row.deff, np.nan, np.nan, np.nan, row.analysed) for row in ws.itertuples()],
                              (ws.records("survey", wave=waves[-1]),
                               {**rec("survey.design.deff", this["deff"]),
                                **rec("survey.weighting.effect", this["deff_weighting"]),
                                **rec("survey.weighting.g_max", this["g_max"], g_min=this["g_min"])}))

    est = pd.concat([wave_estimates(designs[w], ["satisfaction_index"]) for w in waves], ignore_index=True)
    whole = est[est["community_id"] == "district"]
    expected = {}
    for row in whole.itertuples():
        expected.update(rec(f"survey.satisfaction_index.mean_{row.wave}", row.estimate, se=row.se,
                            ci_low=row.ci_low, ci_high=row.ci_high, n=int(row.n)))
    ex["WaveEstimates"] = (est, [(row.estimate, row.se, row.ci_low, row.ci_high, row.n) for row in est.itertuples()],
                           (whole.records("survey.satisfaction_index", term="mean_{wave}"), expected))

    diffs = wave_differences(list(designs.values()))
    expected = {}
    for row in diffs.itertuples():
        expected.update(rec(f"survey.satisfaction_index.change_{row.wave_to}", row.difference, se=row.se,
                            ci_low=row.ci_low, ci_high=row.ci_high, p_value=row.p_value))
    ex["WaveDifferences"] = (diffs, [(row.difference, row.se, row.ci_low, row.ci_high, np.nan)
                                     for row in diffs.itertuples()],
                             (diffs.records("survey.satisfaction_index"), expected))

    slope = pooled_trend(list(designs.values()))
    s = slope.iloc[0]
    ex["PooledTrend"] = (slope, [(s["estimate"], s["se"], s["ci_low"], s["ci_high"], np.nan)],
                         (slope.records("survey.satisfaction_index.trend", verdict="rising"),
                          rec("survey.satisfaction_index.trend", s["estimate"], se=s["se"], ci_low=s["ci_low"],
                              ci_high=s["ci_high"], p_value=s["p_value"], df=int(s["df"]), verdict="rising")))

    gaps = pd.concat([domain_difference(designs[w].design, "satisfaction_index", "hukou", "local").assign(wave=w)
                      for w in waves], ignore_index=True)
    gaps = gaps[gaps["level"] == "migrant"]
    expected = {}
    for row in gaps.itertuples():
        expected.update(rec(f"survey.migrant_gap.index_{row.wave}", row.difference, se=row.se, ci_low=row.ci_low,
                            ci_high=row.ci_high, n=int(row.n_level + row.n_reference)))
    ex["DomainDifference"] = (gaps, [(row.difference, row.se, row.ci_low, row.ci_high, row.n_level + row.n_reference)
                                     for row in gaps.itertuples()],
                              (gaps.records("survey.migrant_gap", term="index_{wave}"), expected))

    items = [c for c in SERVICE_ITEMS if c in survey.columns]
    answers = now.design.data[items].apply(pd.to_numeric)
    rel, om = reliability(answers), omega(answers)
    n_any = int(answers.notna().any(axis=1).sum())
    ex["ReliabilityResult"] = (rel, [(rel.raw_alpha, np.nan, np.nan, np.nan, np.nan)],
                               (rel.records("survey.reliability.alpha_service", n=n_any),
                                rec("survey.reliability.alpha_service", rel.raw_alpha, std_alpha=rel.std_alpha,
                                    n=n_any)))
    ex["OmegaResult"] = (om, [(om.omega_total, np.nan, np.nan, np.nan, np.nan)],
                         (om.records("survey.reliability.omega_service"),
                          rec("survey.reliability.omega_service", om.omega_total)))
    size = n_for_mean_change(5.0, 15.0, deff=1.5)
    ex["SampleSize"] = (size, [(size.n_required, np.nan, np.nan, np.nan, size.n_required)], None)

    # indicators
    org = organisation_indicators(T, 2024)
    table = IndicatorTable(org)
    ex["IndicatorTable"] = (table, [(row.value, row.se, row.ci_low, row.ci_high, row.n) for row in org.itertuples()],
                            (table.records(min_cell=5), written(tidy_to_records(org, min_cell=5))))
    rr = rate_ratio_exact(38, 58)
    ex["RateRatio"] = (rr, [(rr.ratio, np.nan, rr.ci_low, rr.ci_high, 96)], None)
    rng = np.random.default_rng(3)
    nb_frame = pd.DataFrame({"kind": rng.choice(["a", "b", "c"], 200)})
    nb_frame["y"] = rng.negative_binomial(3, 0.3, 200) + (nb_frame["kind"] == "b") * 2
    nb = fit_negative_binomial(nb_frame, "y", ["kind"])
    ex["NBFit"] = (nb, [(row.estimate, row.se, row.ci_low, row.ci_high, nb.n) for row in nb.coefficients.itertuples()],
                   None)

    # impact: one outcome's staggered DiD summary, as notebook 40 computes and records it
    name = "on_time_rate"
    panel = outcome_panel(T, name, years=range(2000, 2025))
    s = impact_summary(panel, name, n_boot=99, seed=1)
    es = s.event_study.assign(k=lambda d: pd.to_numeric(d["event_time"]))
    post = es[es["k"] >= 0].dropna(subset=["estimate"])
    wo = s.att_without_few_controls
    expected = {**rec(f"impact.{name}.att", s.att, se=s.se, ci_low=s.ci_low, ci_high=s.ci_high, n=s.n_units)}
    for r in post.itertuples():
        expected.update(rec(f"impact.{name}.dynamic.e{int(r.k)}", r.estimate, se=r.se, ci_low=r.ci_low,
                            ci_high=r.ci_high))
    expected.update({
        **rec(f"impact.{name}.att_without_few_controls", wo[0], ci_low=wo[1], ci_high=wo[2],
              weight_share=s.few_controls_share, threshold=FEW_CONTROLS),
        **rec(f"impact.{name}.twfe", s.twfe.estimate, se=s.twfe.se, ci_low=s.twfe.ci_low, ci_high=s.twfe.ci_high,
              n=s.twfe.n_clusters),
        **rec(f"impact.{name}.p_value", s.p_value, p_holm=s.p_adjusted, n_tests=s.n_tests),
        **rec(f"impact.{name}.role", "primary" if s.primary else "secondary"),
        **rec(f"impact.{name}.pretest_p", s.pretest.p_value if s.pretest else None,
              mdt50=s.pretest_power_slopes.get(0.5), mdt80=s.pretest_power_slopes.get(0.8)),
        **rec(f"impact.{name}.breakdown_mbar", s.breakdown_mbar, ci_low=s.robust_ci[0], ci_high=s.robust_ci[1],
              mbar=s.mbar, method="Rambachan-Roth relative magnitudes, C-LF"),
        **rec(f"impact.{name}.conclusion", s.conclusion)})
    ex["ImpactSummary"] = (s, [(s.att, s.se, s.ci_low, s.ci_high, s.n_units)]
                           + [(r.estimate, r.se, r.ci_low, r.ci_high, np.nan) for r in post.itertuples()]
                           + [(s.twfe.estimate, s.twfe.se, s.twfe.ci_low, s.twfe.ci_high, s.twfe.n_clusters)],
                           (s.records(f"impact.{name}"), expected))
    tw = s.twfe
    ex["TWFEResult"] = (tw, [(tw.estimate, tw.se, tw.ci_low, tw.ci_high, tw.n_clusters)],
                        (tw.records("impact.x.twfe"), rec("impact.x.twfe", tw.estimate, se=tw.se, ci_low=tw.ci_low,
                                                          ci_high=tw.ci_high, n=tw.n_clusters)))
    ex["TWFEEventStudy"] = (s.twfe_event_study, [(r.estimate, r.se, r.ci_low, r.ci_high, np.nan)
                                                 for r in s.twfe_event_study.itertuples()], None)
    p = s.pretest
    ex["PretestResult"] = (p, [(p.statistic, np.nan, np.nan, np.nan, np.nan)], None)
    att = s.did.att_gt
    ex["StaggeredDiDResult"] = (s.did, [(r.estimate, r.se, r.ci_low, r.ci_high, np.nan) for r in att.itertuples()],
                                None)
    dyn = s.did.aggregate("dynamic")
    ex["Aggregation"] = (dyn, [(r.estimate, r.se, r.ci_low, r.ci_high, np.nan) for r in dyn.itertuples()], None)
    ex["BaconTable"] = (s.bacon, [(r.estimate, np.nan, np.nan, np.nan, np.nan) for r in s.bacon.itertuples()], None)
    honest = s.sensitivity  # rr_sensitivity's table on the universal-base result
    ex["HonestTable"] = (honest, [(np.nan, np.nan, r.lb, r.ub, np.nan) for r in honest.itertuples()], None)
    bounds = pre_max_level_bounds(s.event_study.assign(event_time=pd.to_numeric(s.event_study["event_time"])))
    ex["LevelBounds"] = (bounds, [(r.estimate, r.se, r.ci_low, r.ci_high, np.nan) for r in bounds.itertuples()],
                         None)
    sens = pd.concat([dyn.iloc[[0], 1:].assign(anticipation=a) for a in (0, 1)], ignore_index=True)
    sens = AnticipationSensitivity(sens)
    ex["AnticipationSensitivity"] = (sens, [(r.estimate, r.se, r.ci_low, r.ci_high, np.nan)
                                            for r in sens.itertuples()], None)
    two = TwoByTwo(0.5, np.zeros(12))
    ex["TwoByTwo"] = (two, [(0.5, np.nan, np.nan, np.nan, 12)], None)

    # ITS: the dose design as notebook 30 records it
    src = json.loads((REF / "indicators" / "indicators_reference.json").read_text())["its"]
    dose = json.loads((REF / "its_dose" / "its_dose.json").read_text())
    series = pd.DataFrame({"count": src["count"], "time": np.arange(1, len(src["count"]) + 1, dtype=float),
                           "share": dose["share"], "expo": src["exposure"],
                           "month": [int(m[5:]) for m in src["months"]]})
    kw = dict(offset="expo", family="quasipoisson", seasonality="fourier", season="month")
    its = interrupted_time_series(series, "count", dose="share", **kw)
    eff, lb = its.dose_effect, its.autocorrelation
    ex["ITSResult"] = (its, [(eff["rate_ratio"], np.nan, eff["rr_ci_low"], eff["rr_ci_high"], its.n)],
                       (its.records("petitions.its", finding="rise"),
                        {**rec("petitions.its.adoption_rate_ratio", eff["rate_ratio"], ci_low=eff["rr_ci_low"],
                               ci_high=eff["rr_ci_high"], n=its.n, p_value=eff["p_value"], finding="rise"),
                         **rec("petitions.its.ljung_box", lb["p_value"], statistic=lb["statistic"], lags=lb["lags"]),
                         **rec("petitions.its.dispersion", its.dispersion)}))

    # district synthetic control, as notebook 40 records it
    dp = T["district_panel"]
    o = next(o for o in PANEL_OUTCOMES if o in dp.columns and dp[o].notna().any())
    r = district_synthetic_control(dp, o, seed=1)
    ci = r.intervals(0.95).set_index("term")
    g = r.gaps
    expected = {}
    for row in g[g["post"]].itertuples():
        expected.update(rec(f"impact.district.{o}.gap_{row.year}", row.gap, n=r.n_units,
                            ci_low=ci.loc[row.year, "ci_low"], ci_high=ci.loc[row.year, "ci_high"]))
    expected.update({
        **rec(f"impact.district.{o}.att_post", r.att_post, n=r.n_units, ci_low=ci.loc["att_post", "ci_low"],
              ci_high=ci.loc["att_post", "ci_high"]),
        **rec(f"impact.district.{o}.p_value", r.p_value, n=r.n_units, p_holm=0.2, n_smaller=r.n_smaller),
        **rec(f"impact.district.{o}.pre_rmspe", r.pre_rmspe),
        **rec(f"impact.district.{o}.rmspe_ratio", r.rmspe_ratio),
        **rec(f"impact.district.{o}.conclusion", r.conclusion(confidence=0.95, p_value=0.2))})
    post_g = g[g["post"]]
    ex["DistrictSCMResult"] = (r, [(row.gap, np.nan, ci.loc[row.year, "ci_low"], ci.loc[row.year, "ci_high"],
                                    r.n_units) for row in post_g.itertuples()]
                               + [(r.att_post, np.nan, ci.loc["att_post", "ci_low"], ci.loc["att_post", "ci_high"],
                                   r.n_units)],
                               (r.records(f"impact.district.{o}", confidence=0.95, p_holm=0.2), expected))
    ex["SyntheticControlResult"] = (r.fit, [(v, np.nan, np.nan, np.nan, np.nan) for v in r.fit.gaps["gap"]], None)
    # the district run's own placebo table (unit, ratio, rank …) as the in-space placebo result
    pl = PlaceboResult(r.placebo, r.p_value, r.placebo_gaps)
    ex["PlaceboResult"] = (pl, [(v, np.nan, np.nan, np.nan, len(pl.table)) for v in pl.table["ratio"]], None)
    return ex


TYPES = ["SurveyEstimates", "WeightingSummary", "WaveEstimates", "WaveDifferences", "PooledTrend",
         "DomainDifference", "ReliabilityResult", "OmegaResult", "SampleSize", "IndicatorTable", "RateRatio", "NBFit",
         "ImpactSummary", "TWFEResult", "TWFEEventStudy", "PretestResult", "StaggeredDiDResult", "Aggregation",
         "BaconTable", "HonestTable", "LevelBounds", "AnticipationSensitivity", "TwoByTwo", "ITSResult",
         "DistrictSCMResult", "SyntheticControlResult", "PlaceboResult"]
# returned by public functions but not results: designs the estimators take, and plain values
# designs and declarations, not estimates: the survey designs an estimate is computed from, the registry's indicator
# declarations (indicators.registry.Indicator) and the engine's handle on a table (indicators.engine.Source)
NOT_RESULTS = {"SurveyDesign", "ReplicateDesign", "WaveDesign", "Predictor", "Indicator", "Source"}


def _example(examples, name):
    if name not in examples:
        pytest.fail(f"no example of {name}")
    return examples[name]


def _returned_types():
    """Classes of survey/, indicators/ and impact/ that a public function or method names as its return type."""
    found = {}
    for pkg in ("survey", "indicators", "impact"):
        root = importlib.import_module(f"evaluation.{pkg}")
        for info in pkgutil.walk_packages(root.__path__, f"evaluation.{pkg}."):
            module = importlib.import_module(info.name)
            for name in getattr(module, "__all__", ()):
                obj = getattr(module, name)
                fns = [obj] if inspect.isfunction(obj) else (
                    [f for a, f in vars(obj).items() if not a.startswith("_") and inspect.isfunction(f)]
                    if inspect.isclass(obj) else [])
                for fn in fns:
                    ann = inspect.signature(fn).return_annotation
                    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", ann if isinstance(ann, str) else ""):
                        cls = fn.__globals__.get(word)
                        if inspect.isclass(cls) and cls.__module__.startswith(("evaluation.survey",
                                                                               "evaluation.indicators",
                                                                               "evaluation.impact")):
                            found[cls.__name__] = cls
    return found


def test_every_result_type_has_the_protocol_and_an_example():
    returned = _returned_types()
    assert "ImpactSummary" in returned and "TWFEResult" in returned
    missing = sorted(set(returned) - NOT_RESULTS - set(TYPES))
    assert not missing, f"result types without an example in TYPES (give them the protocol and one): {missing}"
    no_protocol = [n for n, c in returned.items() if n not in NOT_RESULTS and not issubclass(c, ResultMixin)]
    assert not no_protocol, f"returned by a public function without the result protocol: {no_protocol}"


@pytest.mark.parametrize("name", TYPES)
def test_tidy_has_the_fixed_columns_with_the_attributes_values(examples, name):
    result, expected, _ = _example(examples, name)
    assert isinstance(result, Result)
    tidy = result.tidy()
    assert type(tidy) is pd.DataFrame
    assert tuple(tidy.columns[:6]) == (*FIXED, "term")
    got = tidy[list(FIXED)].to_numpy(dtype=float)
    want = np.array(expected, dtype=float).reshape(-1, 5)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert tidy["term"].map(lambda x: isinstance(x, str)).all()


@pytest.mark.parametrize("name", [n for n in TYPES])
def test_records_equal_what_the_notebooks_record(examples, name):
    result, _, pair = _example(examples, name)
    if pair is None:
        # not recorded by a notebook: the records are the tidy rows, under prefix.term
        recs = result.records("x.y", min_cell=1) if isinstance(result, IndicatorTable) else result.records("x.y")
        assert recs and all(k == "x.y" or k.startswith("x.y.") for k in recs)
        assert all("value" in v for v in recs.values())
        return
    records, expected = pair
    assert written(records) == expected


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", TYPES)
def test_plot_is_a_figure_labelled_in_the_language(examples, name, lang):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    result, _, _ = _example(examples, name)
    fig = result.plot(lang=lang)
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        labels = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        assert all(labels)
        assert all(bool(CJK.search(x)) == (lang == "zh") for x in labels[1:]), labels
        assert bool(CJK.search(labels[0])) == (lang == "zh")
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", TYPES)
def test_summary_is_text_in_the_language(examples, name):
    result, _, _ = _example(examples, name)
    zh, en = result.summary("zh"), result.summary("en")
    assert CJK.search(zh) and not CJK.search(en)
    assert len(zh.splitlines()) == len(en.splitlines()) >= 2


def test_a_result_frame_is_still_the_frame_callers_index():
    frame = pd.DataFrame({"variable": ["x"], "estimate": [1.0], "se": [0.1], "ci_low": [0.8], "ci_high": [1.2]})
    e = ResultFrame(frame)
    assert e.iloc[0]["estimate"] == 1.0 and isinstance(e[e["estimate"] > 0], ResultFrame)
    assert isinstance(pd.concat([e, e], ignore_index=True), ResultFrame)
    assert e.records("a.b") == {"a.b": {"value": 1.0, "se": 0.1, "ci_low": 0.8, "ci_high": 1.2}}
    assert ResultFrame(pd.concat([frame, frame.assign(variable="y")])).tidy()["term"].tolist() == ["x", "y"]


def test_the_catalogue_has_every_word_the_protocol_uses():
    for key in ("result.fig.title", "result.axis.term", "result.axis.estimate", "result.summary.head"):
        assert t(key, "zh", what="x", lo=1, hi=2, n=3, term="t", estimate=1) != key
    for cls in (ResultMixin, *[c for c in _returned_types().values() if issubclass(c, ResultMixin)]):
        assert t(cls.what, "en") != cls.what, cls
    assert evaluation.results.__name__ == "evaluation.results"
