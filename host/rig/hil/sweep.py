"""Parameter studies: a grid or list of scenario x settings x plant variants, run closed
loop on sil in parallel on Dask (`rig sweep SPEC`).

Why: "which settings are best at my site" is a few hundred closed-loop runs, more than
one machine does in a working day. Each run is independent, so the study is a bag of
tasks for dask.distributed: a LocalCluster on this machine by default, or any running
cluster (`--scheduler tcp://HOST:PORT`, docs/studies.md). The client keeps the books:
each finished run is written to DIR/runs/<id>.json as it arrives (the id is a hash of
the scenario and its overrides), so a study that was stopped resumes where it stopped,
and a worker that dies takes only its running task with it (the scheduler hands it to
another worker). The table (one row per run, results.parquet and results.csv) is sorted
by id and holds only what the runs computed (no wall times), so a parallel study and a
serial one give the same table.

A spec (JSON or TOML):

    name = "hr_week"
    scenario = "year_supermarket.json"         # or scenarios = [...]; paths from the spec
    [overrides]                                # applied to every run
    duration_s = 604800
    [grid]                                     # every combination of these
    "settings.hr_raise_max_bar" = [0, 10, 20]  # dotted paths into the scenario file
    "plant.ua_hrhx_w_k" = [6000, 8000]
    # list = [{...}, ...]                      # or named variants (each crossed with grid)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
import tomllib
from pathlib import Path

# the figures a run adds to the table (from its summary.json)
FIGURES = (
    ("complete", ("complete",)),
    ("checks_failed", None),
    ("q_evap_kwh", ("heat", "q_evap_kwh")),
    ("w_comp_kwh", ("heat", "w_comp_kwh")),
    ("q_hr_kwh", ("heat", "q_hr_kwh")),
    ("cop_mean", ("heat", "cop_mean")),
    ("forced_h", ("heat", "forced_s")),
    ("q_hr_forced_kwh", ("heat", "q_hr_forced_kwh")),
    ("extra_comp_kwh", ("heat", "extra_comp_kwh")),
    ("ehr", ("heat", "ehr")),
    ("p_gc_max_bar", ("limits", "p_gc_max_bar")),
    ("vented_kg", ("limits", "vented_kg")),
)


class SpecError(ValueError):
    pass


def load_spec(path) -> dict:
    path = Path(path)
    text = path.read_text()
    spec = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    if not isinstance(spec, dict):
        raise SpecError(f"{path}: expected a table")
    spec["_dir"] = str(path.resolve().parent)
    spec.setdefault("name", path.stem)
    return spec


def _set(d: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = value


def run_id(scenario: str, overrides: dict) -> str:
    key = json.dumps({"scenario": scenario, "overrides": overrides}, sort_keys=True)
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def expand(spec: dict) -> list[dict]:
    """Every run of the spec: {"id", "scenario" (path), "name", "params", "overrides"}."""
    base = Path(spec["_dir"])
    scen = spec.get("scenarios") or [spec.get("scenario")]
    if not scen or not all(isinstance(s, str) for s in scen):
        raise SpecError("give scenario = FILE or scenarios = [FILE, ...]")
    grid = spec.get("grid", {})
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise SpecError("grid: expected a table of non-empty lists")
    variants = spec.get("list") or [{}]
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise SpecError("list: expected a list of tables")
    common = spec.get("overrides", {})
    names = sorted(grid)
    runs = []
    for s in scen:
        path = (base / s).resolve()
        if not path.exists():
            raise SpecError(f"scenario {s}: no such file (from {base})")
        for v in variants:
            for combo in itertools.product(*(grid[n] for n in names)):
                params = {k: val for k, val in v.items()}
                params.update(dict(zip(names, combo, strict=True)))
                over = json.loads(json.dumps(common))
                for k, val in params.items():
                    _set(over, k, val)
                runs.append({"id": run_id(path.name, over), "scenario": str(path),
                             "name": path.stem, "params": params, "overrides": over})
    ids = [r["id"] for r in runs]
    if len(set(ids)) != len(ids):
        raise SpecError("two runs of the spec are the same (repeated values?)")
    return runs


def run_one(run: dict, board_name: str = "esp32_devkitc") -> dict:
    """One run closed loop on sil (on a worker): its row of the table, and its wall time."""
    import tempfile

    from rig.boards import load_board
    from rig.hil.runner import run_one as run_scenario
    from rig.targets import open_target

    board = load_board(board_name)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rig-sweep-") as tmp:
        with open_target("sil", board) as target:
            r = run_scenario(run["scenario"], target, board, Path(tmp),
                             overrides=run["overrides"], plots=False)
    s = r["summary"]
    row = {"id": run["id"], "scenario": run["name"]}
    row.update({k: v for k, v in sorted(run["params"].items())})
    for col, path in FIGURES:
        if path is None:
            row[col] = sum(1 for c in s["checks"] if not c["pass"])
            continue
        v = s
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        row[col] = v / 3600.0 if col == "forced_h" and v is not None else v
    return {"row": row, "wall_s": time.perf_counter() - t0, "error": s.get("error")}


def _save(runs_dir: Path, res: dict) -> None:
    p = runs_dir / f"{res['row']['id']}.json"
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, sort_keys=True))
    os.replace(tmp, p)  # a run is either recorded whole or not at all


def pending(runs: list[dict], runs_dir: Path) -> list[dict]:
    return [r for r in runs if not (runs_dir / f"{r['id']}.json").exists()]


def run_sweep(spec: dict, out: Path, client=None, progress=None) -> dict:
    """Run what is not yet recorded in out/runs (client None: serially, in this
    process), then write the table and the HTML summary. Returns the figures of the
    study: runs, ran, skipped, wall_s, the table path."""
    out = Path(out)
    runs_dir = out / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    runs = expand(spec)
    todo = pending(runs, runs_dir)
    board = spec.get("board", "esp32_devkitc")
    t0 = time.perf_counter()
    done = len(runs) - len(todo)
    if progress:
        progress(done, len(runs))
    if client is None:
        for r in todo:
            _save(runs_dir, run_one(r, board))
            done += 1
            if progress:
                progress(done, len(runs))
    else:
        from distributed import as_completed

        futs = [client.submit(run_one, r, board, key=f"rig-run-{r['id']}", pure=False,
                              retries=2) for r in todo]
        for fut in as_completed(futs):
            _save(runs_dir, fut.result())
            done += 1
            if progress:
                progress(done, len(runs))
    wall = time.perf_counter() - t0
    table = write_table(runs, runs_dir, out)
    write_html(spec, table, out / "summary.html")
    return {"runs": len(runs), "ran": len(todo), "skipped": len(runs) - len(todo),
            "wall_s": wall, "table": str(out / "results.parquet")}


def read_rows(runs: list[dict], runs_dir: Path) -> list[dict]:
    rows = [json.loads((runs_dir / f"{r['id']}.json").read_text())["row"] for r in runs]
    return sorted(rows, key=lambda r: r["id"])


def write_table(runs: list[dict], runs_dir: Path, out: Path):
    import pandas as pd

    params = sorted({k for r in runs for k in r["params"]})
    cols = ["id", "scenario"] + params + [c for c, _ in FIGURES]
    df = pd.DataFrame(read_rows(runs, runs_dir), columns=cols)
    df.to_parquet(out / "results.parquet", index=False)
    df.to_csv(out / "results.csv", index=False)
    return df


def pareto(df) -> list[str]:
    """Ids of the runs no other run beats on both: more recovered heat for no more extra
    compressor work."""
    pts = [(r.id, r.q_hr_forced_kwh or 0.0, r.extra_comp_kwh or 0.0)
           for r in df.itertuples()]
    front = []
    for i, q, w in pts:
        if not any((q2 >= q and w2 <= w) and (q2 > q or w2 < w) for _, q2, w2 in pts):
            front.append(i)
    return front


def write_html(spec: dict, df, path: Path) -> None:
    import base64
    import html
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    front = set(pareto(df)) if len(df) else set()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if len(df):
        on = df["id"].isin(front)
        ax.scatter(df["extra_comp_kwh"], df["q_hr_forced_kwh"], c="#999", label="runs")
        f = df[on].sort_values("extra_comp_kwh")
        ax.plot(f["extra_comp_kwh"], f["q_hr_forced_kwh"], "o-", c="#c33", label="Pareto front")
        for r in f.itertuples():
            ax.annotate(r.id[:6], (r.extra_comp_kwh, r.q_hr_forced_kwh), fontsize=7)
    ax.set_xlabel("extra compressor work of forced operation, kWh")
    ax.set_ylabel("heat recovered in forced operation, kWh")
    ax.set_title(f"{spec.get('name')}: recovered heat against extra compressor work")
    ax.grid(alpha=0.3)
    ax.legend()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode()
    table = df.assign(pareto=df["id"].isin(front)).to_html(index=False, float_format="%.4g") \
        if len(df) else "<p>no runs</p>"
    path.write_text(
        "<!doctype html><meta charset='utf-8'><title>" + html.escape(str(spec.get("name")))
        + "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
        "collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}</style>"
        f"<h1>{html.escape(str(spec.get('name')))}: {len(df)} runs</h1>"
        f"<img src='data:image/png;base64,{png}'><h2>Pareto front</h2><p>"
        + (", ".join(sorted(front)) or "none") + f"</p><h2>Runs</h2>{table}\n")
