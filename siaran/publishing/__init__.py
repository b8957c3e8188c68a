"""Publishing: channel accounts, publish jobs (one per case x channel) and connectors.

The SOP's publish step ends with "upload the content to the institution's channels".
Choosing `publish` there does not close the case at once: `actions.publication_start`
makes one `PublishJob` per channel and the case waits as `publishing`. The engine stays
pure and knows nothing of this: the case's engine state simply stays at the publish
step (its time standard keeps running, as the SOP means it to) until the last channel
is published or marked done by hand; then `cases.actions.case_publication_finish`
finishes the step through the engine, which closes the case as `published`.

A job runs on Django's task API (`tasks.publish_job_run`); `runner` owns claims,
retries, backoff, quotas and reconciliation; a connector (`connectors/`) only speaks to
its platform and raises `PublishError` or `OutcomeUnknown`.
"""
