"""Run parameters: one validated model for every parameter set (``params/*.yaml``) and every ``-p key=value``.

YAML has traps for parameter files (style notes, pitfall 3): ``NO`` becomes False, ``012345`` an octal number, a bare
date a ``date`` object. :func:`load_yaml_strict` reads YAML with only ``true``/``false`` as booleans, keeps
leading-zero numbers and dates as strings, and the pydantic model then rejects unknown keys and wrong types with a
message that names the key and the fix — all before any kernel starts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .config import PARAMS_DIR, bundled
from .errors import InvalidValue, ParameterError, validation_message_zh
from .yamlkeys import DuplicateKeyError, UniqueKeyLoader

__all__ = ["RunParams", "load_params", "load_yaml_strict", "read_yaml_text", "UniqueKeyLoader", "DuplicateKeyError",
           "parse_override", "check_run_name", "run_name", "NOTEBOOK_ORDER", "PROFILE_NOTEBOOK"]

PROFILE_NOTEBOOK = "60_community_profile"
NOTEBOOK_ORDER = (
    "00_data_quality",
    "10_participation",
    "20_satisfaction_survey",
    "30_service_outcomes",
    "40_programme_impact",
    "50_award_claims",
)


class _StrictLoader(UniqueKeyLoader):
    """UniqueKeyLoader with YAML 1.2-like scalars: only true/false are booleans; no octal, no sexagesimal, no dates."""


_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp",
                                                  "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"),
                                    list("-+0123456789"))
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?"
               r"|(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+)$"), list("-+0123456789."))


def load_yaml_strict(text: str, source: str = "<string>") -> Any:
    """Parse YAML without the YAML 1.1 traps; raise :class:`ParameterError` with the line on a syntax error."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader derives from SafeLoader
    except DuplicateKeyError as e:
        raise ParameterError(f"{source}, line {e.second}: the key {e.key!r} is given twice (first on line {e.first}); "
                             "YAML would keep only the last value\nfix: keep one of the two lines.",
                             f"{source}，第 {e.second} 行：键 {e.key!r} 出现了两次（第一次在第 {e.first} 行），YAML 只会保留"
                             "后一个值\n修改：删去其中一行。") from None
    except yaml.YAMLError as e:
        raise ParameterError(f"{source}: not valid YAML: {e}\nfix: correct the syntax on that line.",
                             f"{source}：不是有效的 YAML：{e}\n修改：改正该行的写法。") from None


class RunParams(BaseModel):
    """Every parameter a run accepts. Notebooks receive the subset their ``parameters`` cell declares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: str = Field("data/synthetic", description="District folder, relative to the project root")
    report_year: int = Field(2024, ge=2000, le=2100, description="The year called 今年 in the report")
    comparison_year: int | None = Field(None, ge=2000, le=2100, description="Defaults to report_year - 1 (同比)")
    language: Literal["zh", "en"] = "zh"
    min_cell: int = Field(5, ge=1, le=1000, description="Smallest published cell (respondents or cases)")
    seed: int = Field(20241231, ge=0, description="Seed for every random step (bootstrap, sampling)")
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    data_cutoff: str | None = Field(None, description="The data as of this time (within report_year); default end of "
                                                      "report_year")
    communities: list[str] | None = Field(None, description="Community subset; default all")
    survey_planned_n: int = Field(50, ge=1, description="Planned respondents per community and wave")
    notebooks: list[str] | None = Field(None, description="Notebooks to run; default all, in order")
    # 10/30: participation and service outcomes
    distance_m: float = Field(1000.0, gt=0, le=5000, description="Walking distance of the service circle (m)")
    distance_sensitivity: list[float] = Field([500.0, 800.0], description="Other distances to report (m)")
    detour_factor: float = Field(1.3, ge=1.0, le=3.0, description="Walking distance / straight-line distance")
    its_intervention: str = Field("2020-01-01", description="Date of the level/slope change in the petitions ITS")
    # 20: satisfaction survey
    survey_waves: list[int] | None = Field(None, description="Survey waves to show; default all")
    weighting: Literal["none", "poststratify", "rake"] = Field("rake", description="Survey weighting method")
    weighting_dimensions: list[Literal["sex", "age_group", "hukou"]] = Field(
        ["sex", "age_group", "hukou"], description="Margins raked to, within each community")
    # 10, 30, 60: district intervals over events, activities and people
    interval: Literal["cluster", "iid"] = Field(
        "cluster", description="District intervals: communities as clusters (the figure read as the propensity of a "
                               "process, the default) or iid (a census reading, Wilson/Garwood/Greenwood)")
    # 40: programme impact
    control_group: Literal["notyet", "never"] = Field("notyet", description="Comparison group of the staggered DiD")
    did_method: Literal["dr", "ipw", "reg"] = Field("dr", description="Estimator of each 2x2 comparison")
    anticipation: int = Field(0, ge=0, le=3, description="Years of anticipation before adoption")
    base_period: Literal["varying", "universal"] = "varying"
    covariates: list[str] | None = Field(None, description="Covariates of the DiD (community-level columns)")
    n_boot: int = Field(999, ge=0, le=100000, description="Bootstrap draws: uniform bands of the impact event studies, quadrant stability of the survey IPA")
    outcomes: list[str] | None = Field(None, description="Impact outcomes; default all")
    primary_outcomes: list[str] | None = Field(
        None, description="Pre-specified impact outcomes (others are exploratory); default one per domain: "
                          "satisfaction_index, participation_rate, on_time_rate, real_estate_petitions_per_10k")
    sensitivity_mbar: float = Field(1.0, ge=0, description="Relative-magnitude bound on parallel-trend violations")
    synth_outcomes: list[str] | None = Field(
        None, description="Outcomes of the district-wide synthetic control (district_panel columns); default all")
    # 60: community profile
    community_id: str | None = Field(None, description="Community of the profile notebook")
    submission: str = Field("data/submissions/daya_bay_2024.md",
                            description="Submission audited by notebook 50 (.md/.txt/.docx), relative to the project root")
    execution_timeout: int = Field(600, ge=10, le=7200, description="Seconds per notebook cell")

    @field_validator("data_cutoff")
    @classmethod
    def _cutoff(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            dt.datetime.fromisoformat(str(v))
        except ValueError:
            raise InvalidValue("write the cut-off as 2024-12-31 or 2024-12-31 23:59:59",
                           "截止时间应写成 2024-12-31 或 2024-12-31 23:59:59") from None
        return str(v)

    @field_validator("its_intervention")
    @classmethod
    def _its_date(cls, v: str) -> str:
        try:
            dt.date.fromisoformat(str(v))
        except ValueError:
            raise InvalidValue("write the date as 2020-01-01", "日期应写成 2020-01-01") from None
        return str(v)

    @field_validator("outcomes", "primary_outcomes")
    @classmethod
    def _outcomes(cls, v: list[str] | None) -> list[str] | None:
        from .impact.panels import OUTCOMES

        unknown = [o for o in v or [] if o not in OUTCOMES]
        if unknown:
            raise InvalidValue(f"unknown outcome(s) {unknown}; known: {list(OUTCOMES)}",
                           f"未知的结果指标 {unknown}；可选：{list(OUTCOMES)}")
        return v

    @field_validator("synth_outcomes")
    @classmethod
    def _synth_outcomes(cls, v: list[str] | None) -> list[str] | None:
        from .impact.district_scm import PANEL_OUTCOMES

        unknown = [o for o in v or [] if o not in PANEL_OUTCOMES]
        if unknown:
            raise InvalidValue(f"unknown district_panel outcome(s) {unknown}; known: {list(PANEL_OUTCOMES)}",
                           f"district_panel 中没有结果指标 {unknown}；可选：{list(PANEL_OUTCOMES)}")
        return v

    @field_validator("notebooks")
    @classmethod
    def _notebooks(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        unknown = [n for n in v if n not in NOTEBOOK_ORDER]
        if unknown:
            raise InvalidValue(f"unknown notebook(s) {unknown}; known: {list(NOTEBOOK_ORDER)}",
                           f"未知的笔记本 {unknown}；可选：{list(NOTEBOOK_ORDER)}")
        return v

    @model_validator(mode="after")
    def _years(self) -> "RunParams":
        if self.comparison_year is not None and self.comparison_year >= self.report_year:
            raise InvalidValue("comparison_year must be before report_year",
                           "比较年份 comparison_year 应早于报告年份 report_year")
        return self

    @model_validator(mode="after")
    def _cutoff_in_year(self) -> "RunParams":
        # every figure of the report year sees the data as of the cut-off (docs/conventions.md): a cut-off before
        # the year leaves it without data; one after it would mix later closings into "the end of the year", so
        # both are refused rather than clamped
        if self.data_cutoff is None:
            return self
        cut = dt.datetime.fromisoformat(self.data_cutoff)
        y = self.report_year
        if cut.tzinfo is not None:
            raise InvalidValue(f"data_cutoff {self.data_cutoff} has a time zone; write it in China Standard Time "
                           f"without an offset, e.g. {y}-06-30",
                           f"截止时间 data_cutoff {self.data_cutoff} 带有时区；请按北京时间书写、不带时区，例如 {y}-06-30")
        if cut < dt.datetime(y, 1, 1):
            raise InvalidValue(f"data_cutoff {self.data_cutoff} is before report_year {y} starts ({y}-01-01), so "
                           f"every figure of {y} would be empty; give a cut-off from {y}-01-01 to {y}-12-31 "
                           f"23:59:59, or change report_year",
                           f"截止时间 data_cutoff {self.data_cutoff} 早于报告年份 {y} 的开始（{y}-01-01），{y} 年的所有"
                           f"数字都将为空；请给出 {y}-01-01 至 {y}-12-31 23:59:59 之间的截止时间，或修改 report_year")
        if cut > dt.datetime(y, 12, 31, 23, 59, 59):
            raise InvalidValue(f"data_cutoff {self.data_cutoff} is after report_year {y} ends; give a cut-off from "
                           f"{y}-01-01 to {y}-12-31 23:59:59 (a date means its first moment, 00:00), or change "
                           f"report_year",
                           f"截止时间 data_cutoff {self.data_cutoff} 晚于报告年份 {y} 的结束；请给出 {y}-01-01 至 "
                           f"{y}-12-31 23:59:59 之间的截止时间（只写日期即指当天 00:00），或修改 report_year")
        return self

    @property
    def comparison(self) -> int:
        return self.comparison_year if self.comparison_year is not None else self.report_year - 1

    @property
    def cutoff(self) -> str:
        return self.data_cutoff or f"{self.report_year}-12-31 23:59:59"

    def notebook_list(self) -> list[str]:
        return list(self.notebooks) if self.notebooks else list(NOTEBOOK_ORDER)


def _explain(err: ValidationError, source: str, lang: str = "en") -> str:
    """A parameter error's lines in ``lang``, in the words of the catalogue (resources/i18n/cli.yaml)."""
    from .text.i18n import plain

    lang = "zh" if lang == "zh" else "en"
    fields = list(RunParams.model_fields)
    lines = [plain("params.explain.head", lang, source=source)]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or plain("params.explain.file", lang)
        # pydantic's own message is English; InvalidValue carries the Chinese one (errors.validation_message_zh)
        msg = validation_message_zh(e) if lang == "zh" else e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            guess = difflib.get_close_matches(key, fields, 1)
            hint = plain("params.explain.guess", lang, guess=guess[0]) if guess else ""
            lines.append(plain("params.explain.extra", lang, key=key, hint=hint,
                               fields=plain("punct.list", lang).join(fields)))
        elif not e["loc"]:  # a rule across parameters: its message names them and the fix, not the whole file
            lines.append(f"  {msg}")
        else:
            lines.append(plain("params.explain.value", lang, key=key, value=e.get("input"),
                               msg=msg if lang == "zh" else e["msg"], fix=_fix(key, lang)))
    return "\n".join(lines)


def _fix(key: str, lang: str = "en") -> str:
    from .text.i18n import plain

    field = RunParams.model_fields.get(key)
    if field is None:
        return plain("params.fix.unknown", lang)
    desc = plain("params.fix.desc", lang, description=field.description) if field.description else ""
    return plain("params.fix.value", lang, key=key, default=field.default, desc=desc)


def parse_override(item: str) -> tuple[str, Any]:
    """Parse one ``key=value`` override with the same strict YAML scalars as parameter files."""
    if "=" not in item:
        raise ParameterError(f"override {item!r} is not key=value\nfix: write e.g. -p language=en",
                             f"参数覆盖 {item!r} 不是 键=值 的形式\n修改：例如写 -p language=en")
    key, _, value = item.partition("=")
    return key.strip(), load_yaml_strict(value, f"override {key}")


# A run's folder name becomes a path under reports/: no separators, no leading dot (the runner's temporary and lock
# files start with one), not "." or "..", and not the name of another run's failed folder or lock.
_RUN_NAME = re.compile(r"[\w][\w.+=,@-]*")
_RUN_NAME_MAX = 120  # characters of a name built from overrides, before the hash takes over
_RUN_NAME_BYTES = 230  # of any run name: a file name holds 255 bytes, less ".", ".tmp-<pid>" or ".failed"


def check_run_name(name: str, source: str, source_zh: str = "") -> str:
    """Return ``name`` if it is safe as a folder name under ``reports/``, else raise :class:`ParameterError`."""
    bad = (not isinstance(name, str) or not _RUN_NAME.fullmatch(name) or set(name) <= {"."}
           or name.endswith((".failed", ".lock")) or len(name.encode("utf-8")) > _RUN_NAME_BYTES)
    if bad:
        raise ParameterError(
            f"{source}: {name!r} cannot name a report folder under reports/ (it must be letters, digits or "
            f". _ - + = , @, at most {_RUN_NAME_BYTES} bytes, start with a letter or digit, and not end in .failed "
            "or .lock)\n"
            "fix: rename the parameter file (e.g. params/my_district.yaml) or give another name",
            f"{source_zh or source}：{name!r} 不能用作 reports/ 下报告文件夹的名称（只能由字母、数字或 . _ - + = , @ 组成，"
            f"不超过 {_RUN_NAME_BYTES} 字节，以字母或数字开头，且不以 .failed 或 .lock 结尾）\n"
            "修改：给参数文件改名（例如 params/my_district.yaml），或换一个名称")
    return name


def _override_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return ",".join(_override_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_override_text(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    return str(value)


def run_name(paramset: str, overrides: dict[str, Any] | None) -> str:
    """The report folder of a run: ``paramset`` alone, or with the overrides appended so it never replaces it.

    ``default`` with ``-p data_cutoff=2024-06-30`` gives ``default+data_cutoff=2024-06-30``. Characters that are
    unsafe in a folder name become ``_``; when that loses information (two override sets could give one name) or the
    name grows long, an 8-hex sha256 of the overrides' canonical JSON is appended, so distinct overrides never share
    a folder. The manifest records the overrides themselves.
    """
    if not overrides:
        return paramset
    import hashlib
    import json

    parts = [f"{k}={_override_text(v)}" for k, v in sorted(overrides.items())]
    readable = "+".join(parts)
    safe = "+".join(re.sub(r"[^\w.=,@-]+", "_", p) for p in parts)
    digest = hashlib.sha256(json.dumps(overrides, sort_keys=True, ensure_ascii=False, default=str)
                            .encode("utf-8")).hexdigest()[:8]
    room = _RUN_NAME_MAX - len(paramset) - 1
    if safe != readable or len(safe) > room:
        safe = f"{safe[: room - 9].rstrip('_.')}-{digest}"
    return f"{paramset}+{safe}"


def read_yaml_text(path: Path) -> str:
    """The text of a YAML file, refused with the line and byte when it is not UTF-8 (a binary file, say)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ParameterError(
            f"{path}, line {line}: not a text parameter file (byte 0x{data[e.start]:02x} at offset {e.start} is not "
            "UTF-8)\nfix: give a YAML file of key: value lines saved as UTF-8, such as params/default.yaml",
            f"{path}，第 {line} 行：不是文本格式的参数文件（偏移 {e.start} 处的字节 0x{data[e.start]:02x} 不是 UTF-8）\n"
            "修改：给出以 UTF-8 保存、每行一个 键: 值 的 YAML 文件，例如 params/default.yaml") from None


def load_params(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> tuple[RunParams, str]:
    """Load and validate a parameter file (plus overrides); return the params and the parameter-set name.

    The name is the file's stem and must be safe as a folder name (:func:`check_run_name`); a duplicated key, a
    binary file or a file that is not a mapping is refused with the file (and line) named. A relative path is taken
    from the working folder; if nothing is there and it names a parameter set the package ships
    (``params/default.yaml``, :func:`evaluation.config.bundled`), that one is read, so ``jinlin run`` works outside
    a checkout.
    """
    path = Path(path) if path is not None else PARAMS_DIR / "default.yaml"
    if not path.exists():
        path = bundled(path) or path
    if not path.exists():
        raise ParameterError(f"parameter file {path} does not exist\nfix: give a file such as params/default.yaml",
                             f"参数文件 {path} 不存在\n修改：给出一个参数文件，例如 params/default.yaml")
    if not path.is_file():
        raise ParameterError(f"parameter file {path} is not a file\nfix: give a file such as params/default.yaml",
                             f"参数文件 {path} 不是文件\n修改：给出一个参数文件，例如 params/default.yaml")
    paramset = check_run_name(path.stem, f"parameter file {path}", f"参数文件 {path}")
    try:
        text = read_yaml_text(path)
    except OSError as e:
        raise ParameterError(f"parameter file {path} cannot be read: {e.strerror}\n"
                             "fix: check that it exists and that you may read it",
                             f"无法读取参数文件 {path}：{e.strerror}\n修改：检查文件是否存在、是否有读取权限") from None
    raw = load_yaml_strict(text, str(path))
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ParameterError(f"{path}: must be a mapping of key: value lines\n"
                             "fix: write one parameter per line, e.g. language: en",
                             f"{path}：应由 键: 值 的行组成\n修改：每行写一个参数，例如 language: en")
    raw.update(overrides or {})
    try:
        params = RunParams.model_validate(raw)
    except ValidationError as e:
        raise ParameterError(_explain(e, str(path)), _explain(e, str(path), "zh")) from None
    return params, paramset
