-- wrk script for `make bench`: prints one machine-readable line at the end
-- of a run, so bench/run.py need not parse wrk's human-oriented report.
--
-- wrk calls done() once, after every thread has finished (see wrk's
-- SCRIPTING file and its scripts/report.lua, which this follows).
-- Times are in microseconds, as wrk measures them. By the time done() runs,
-- wrk has corrected the latencies for coordinated omission, as in its own
-- report, so these percentiles match the ones `wrk --latency` prints.

done = function(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d bytes=%d " ..
      "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d " ..
      "p50_us=%d p99_us=%d max_us=%d\n",
      summary.requests, summary.duration, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      math.floor(latency:percentile(50)), math.floor(latency:percentile(99)), latency.max))
end
