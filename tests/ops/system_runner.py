"""The system tests' runner, as ctest uses it (tests/CMakeLists.txt): a file with no test
fails, a file whose every test is skipped exits 77 (ctest: skipped), and a file written for
the old runner (plain test_* functions, harness.run_tests at __main__) runs unchanged under
pytest collection and, run directly, takes pytest's options such as -k."""
import os
import subprocess
import sys

import harness as h

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTEST = ["/usr/bin/python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]

OLD_STYLE = '''import harness as h


def test_one():
    assert 1 + 1 == 2


def test_two():
    assert "two"


if __name__ == "__main__":
    h.run_tests([test_one, test_two])
'''


def run(argv, tmp, skip_exit=True):
    """argv with the environment ctest gives: the test files are written into a folder
    under tests/, so that tests/pytest.ini and tests/conftest.py apply as to the real ones."""
    env = dict(os.environ, PYTHONPATH=os.path.join(TESTS, "lib"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("SMSA_SKIP_EXIT", None)
    if skip_exit:
        env["SMSA_SKIP_EXIT"] = "77"
    return subprocess.run(argv, cwd=tmp, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=120)


def write(folder, name, text):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


class Folder(h.TempDir):
    """A temporary folder inside tests/ (removed afterwards)."""

    def __init__(self):
        import tempfile
        self.path = tempfile.mkdtemp(prefix="runner-", dir=os.path.join(TESTS, "ops"))


def test_a_file_without_tests_fails():
    with Folder() as tmp:
        f = write(tmp, "system_empty.py", '"""Nothing to run."""\n')
        r = run(PYTEST + [f], tmp)
        assert r.returncode == 5, r.stdout  # pytest: no tests collected; ctest: failed


def test_a_file_whose_tests_all_skip_exits_77_with_the_reason():
    with Folder() as tmp:
        f = write(tmp, "system_skips.py", "import pytest\n\n\ndef test_needs_x():\n"
                  "    pytest.skip('x is not installed')\n")
        r = run(PYTEST + [f], tmp)
        assert r.returncode == 77, r.stdout
        assert "x is not installed" in r.stdout, r.stdout
        r = run(PYTEST + [f], tmp, skip_exit=False)  # pytest on its own: a skip passes
        assert r.returncode == 0, r.stdout
        f = write(tmp, "system_some_skip.py", "import pytest\n\n\ndef test_needs_x():\n"
                  "    pytest.skip('x is not installed')\n\n\ndef test_runs():\n    pass\n")
        r = run(PYTEST + [f], tmp)
        assert r.returncode == 0, r.stdout


def test_an_old_style_file_runs_collected_and_directly():
    with Folder() as tmp:
        f = write(tmp, "system_old.py", OLD_STYLE)
        r = run(PYTEST + [f], tmp)
        assert r.returncode == 0 and "2 passed" in r.stdout, r.stdout
        r = run(["/usr/bin/python3", f, "-k", "two"], tmp)
        assert r.returncode == 0 and "1 passed, 1 deselected" in r.stdout, r.stdout
        f = write(tmp, "system_old_fails.py", OLD_STYLE.replace("1 + 1 == 2", "1 + 1 == 3"))
        r = run(PYTEST + [f], tmp)
        assert r.returncode == 1 and "1 failed, 1 passed" in r.stdout, r.stdout
        r = run(["/usr/bin/python3", f], tmp)
        assert r.returncode == 1 and "1 failed, 1 passed" in r.stdout, r.stdout


if __name__ == "__main__":
    h.run_tests([test_a_file_without_tests_fails,
                 test_a_file_whose_tests_all_skip_exits_77_with_the_reason,
                 test_an_old_style_file_runs_collected_and_directly])
