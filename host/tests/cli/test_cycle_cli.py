"""`rig cycle` on the command line: JSON output and one-line errors."""

import json
import subprocess
import sys

import pytest

from rig.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "rig.cli", "cycle", *args], capture_output=True,
                          text=True, timeout=60)


def test_json_output_keys_and_values():
    r = run("--te", "-7", "--sh", "10", "--eta-is", "0.65", "--t3", "40", "--p-gc", "opt",
            "--p-rec", "35", "--q-evap", "100", "--water", "30:55", "--pinch", "5", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for k in ("p_gc_bar", "cop", "cop_total", "w_comp_kw", "q_gc_kw", "q_hr_kw",
              "t_discharge_c"):
        assert k in d
    assert 95 < d["p_gc_bar"] < 108
    assert d["q_gc_kw"] == pytest.approx(100 + d["w_comp_kw"], rel=5e-3)


@pytest.mark.parametrize("argv,needle", [
    (["--te", "-60", "--t3", "35"], "triple point"),
    (["--te", "-10", "--t3", "-70"], "triple point"),
    (["--te", "-10", "--t3", "35", "--p-gc", "201"], "200 bar"),
    (["--te", "-10", "--t3", "35", "--water", "55:30"], "IN must be below OUT"),
    (["--te", "-10", "--t3", "35", "--water", "40:40"], "IN must be below OUT"),
    (["--te", "-10", "--t3", "35", "--p-rec", "20"], "above suction"),
])
def test_bad_input_one_line_error(argv, needle, capsys):
    rc = main(["cycle", *argv])
    err = capsys.readouterr().err
    assert rc != 0
    assert needle in err and err.count("\n") == 1


def test_unknown_option_exits_nonzero():
    r = run("--te", "-10", "--t3", "35", "--frobnicate", "1")
    assert r.returncode == 2 and "unrecognized" in r.stderr


def test_heatpump_json_has_the_issue_keys_and_the_module_s_figures():
    from rig.plant import hp_cycle

    r = run("--app", "heatpump", "--t-amb", "0", "--t-return", "40", "--t-supply", "70",
            "--eta-is", "0.7", "--superheat", "5", "--dt-evap", "8", "--approach", "3", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    want = hp_cycle.solve(0.0, 40.0, 70.0, eta_is=0.7, superheat_k=5.0, dt_evap_k=8.0,
                          approach_k=3.0)
    for k in ("p_gc_bar", "cop_heating", "t_disch_c", "q_heat_kw", "cop_loss_per_k_return"):
        assert d[k] == pytest.approx(want[k], rel=1e-9), k


@pytest.mark.parametrize("argv,needle", [
    (["--app", "heatpump", "--t-amb", "0", "--t-return", "40"], "needs --t-supply"),
    (["--app", "heatpump", "--t-amb", "0", "--t-return", "40", "--t-supply", "70", "--te", "-5"],
     "--te is not an option of --app heatpump"),
    (["--te", "-7", "--t3", "40", "--t-return", "40"], "--t-return is not an option"),
    (["--app", "heatpump", "--t-amb", "0", "--t-return", "40", "--t-supply", "70",
      "--p-gc", "90"], "needs 104"),
    (["--app", "heatpump", "--t-amb", "0", "--t-return", "40", "--t-supply", "70",
      "--p-max", "100"], "cannot be reached at 100 bar"),
    (["--te", "-7"], "needs --t3"),
])
def test_each_application_names_what_it_misses_or_does_not_take(argv, needle, capsys):
    rc = main(["cycle", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err and err.count("\n") == 1
