"""Summarises one wrk report (run with --latency) on one line: "req/s p50-ms p99-ms timeouts errors non-2xx".

errors counts wrk's connect, read and write socket errors; timeouts are counted apart. Used by the benchmarks'
run.sh scripts: python3 bench/wrk-summary.py wrk.out
"""
import re
import sys

text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))


def latency_ms(percentile):
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)", text, re.M)
    if not match:
        return float("nan")
    return float(match.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[match.group(2)]


match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
connect, read, write, timeout = map(int, match.groups()) if match else (0, 0, 0, 0)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {latency_ms(50):.2f} {latency_ms(99):.2f} {timeout} {connect + read + write} {int(non2xx.group(1)) if non2xx else 0}")
