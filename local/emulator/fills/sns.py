"""
SNS fill: topic attributes that moto stores but never returns.
"""

from __future__ import annotations

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

