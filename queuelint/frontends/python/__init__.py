"""Python front-end (libcst): Celery, Dramatiq, arq, RQ and the bullmq Python port."""
