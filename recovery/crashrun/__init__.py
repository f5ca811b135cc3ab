"""The crash-recovery runner's parts (the entry point is recovery/crash_runner.py; its docstring says what is checked).

money_time  integer cents and UTC microseconds, the limits, the text forms sent and answered
record      the acknowledged-writes record (users, transactions and their states, counters, violations)
wire        HTTP sessions and answers as (status, JSON, error), a lost connection being an unknown outcome
process     the tallyd process: start, SIGKILL (also during recovery), SIGTERM, logs
load        the client threads that drive the load
verify      the checks after each restart
runner      the cycle loop and the summary
cli         options, cluster-mode dispatch, exit status
"""
