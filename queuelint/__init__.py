"""queuelint: a static linter for job-queue producer/consumer mismatches."""

__version__ = "0.1.0"
