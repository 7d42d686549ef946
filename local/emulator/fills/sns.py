"""
SNS fills: topic attributes that moto stores but never returns, and the sequence numbers of a
FIFO topic's messages.
"""

from __future__ import annotations

import threading
from typing import Any

from .registry import fill, snake


#: Topic attributes that moto stores (CreateTopic, SetTopicAttributes) but never returns.
_STORED_TOPIC_ATTRIBUTES = (
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
)


@fill
def sns_topic_attributes() -> None:
    """SNS: GetTopicAttributes never returns SignatureVersion (nor TracingConfig, ArchivePolicy or
    the delivery-status attributes), although CreateTopic and SetTopicAttributes store them, so
    every plan after an apply wants to set signature_version = 2 again. The fill returns each of
    them once set, as the string it was set to.
    """
    from moto.sns.responses import SNSResponse

    original = SNSResponse.get_topic_attributes

    def get_topic_attributes(self: Any) -> Any:
        response = original(self)
        topic = self.backend.get_topic(self._get_param("TopicArn"))
        attributes = response.result["Attributes"]
        for name in _STORED_TOPIC_ATTRIBUTES:
            value = getattr(topic, snake(name), None)
            if value is not None and value != "":
                attributes[name] = str(value)
        return response

    SNSResponse.get_topic_attributes = get_topic_attributes



_SEQUENCE_LOCK = threading.Lock()
#: The last sequence number handed out; AWS's are 20-digit decimals that only grow.
_sequence = [10_000_000_000_000_000_000]


def _next_sequence_number() -> str:
    """A sequence number larger than every one before it, and not consecutive to it."""
    with _SEQUENCE_LOCK:
        _sequence[0] += 4096
        return str(_sequence[0])


@fill
def sns_fifo_sequence_number() -> None:
    """SNS FIFO: Publish and PublishBatch to a FIFO topic answer no SequenceNumber, which AWS
    returns for every message of a FIFO topic (a large number that grows within each message
    group), so the producer API's 202 has no sequence number. The fill answers one, growing
    across the whole emulator (and so within every group), for each message a FIFO topic takes.
    """
    from moto.sns.exceptions import SNSNotFoundError
    from moto.sns.responses import SNSResponse

    def is_fifo(self: Any, arn: str | None) -> bool:
        if not arn:
            return False
        try:
            return bool(self.backend.get_topic(arn).fifo_topic)
        except SNSNotFoundError:
            return False

    original_publish = SNSResponse.publish

    def publish(self: Any) -> Any:
        response = original_publish(self)
        if is_fifo(self, self._get_param("TopicArn") or self._get_param("TargetArn")):
            response.result["SequenceNumber"] = _next_sequence_number()
        return response

    original_publish_batch = SNSResponse.publish_batch

    def publish_batch(self: Any) -> Any:
        response = original_publish_batch(self)
        if is_fifo(self, self._get_param("TopicArn")):
            for entry in response.result["Successful"]:
                entry["SequenceNumber"] = _next_sequence_number()
        return response

    SNSResponse.publish = publish
    SNSResponse.publish_batch = publish_batch
