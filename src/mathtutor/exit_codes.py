"""The exit codes of every ``mathtutor`` command, in one place so that scripts and the CLI's help agree."""

EXIT_OK = 0
EXIT_FAILED = 1  #: some files, lines or checks failed; everything else was done and nothing indexed was lost
EXIT_USAGE = 2
EXIT_INDEX_CORRUPT = 3
EXIT_DISK_FULL = 4
EXIT_READ_ONLY = 5
EXIT_INTERRUPTED = 130  #: 128 + SIGINT
EXIT_PIPE_CLOSED = 141  #: 128 + SIGPIPE, what a shell reports for a writer whose reader went away
