"""Stand-in for airflow/providers/slack/hooks/slack_webhook.py: messages
are recorded in SlackWebhookHook.sent instead of posted."""


class SlackWebhookHook:
    """Records (connection id, text) for every send."""

    sent: list = []

    def __init__(self, slack_webhook_conn_id, **kwargs):
        self.slack_webhook_conn_id = slack_webhook_conn_id

    def send(self, *, text=None, **kwargs):
        SlackWebhookHook.sent.append((self.slack_webhook_conn_id, text))
