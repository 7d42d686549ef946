"""
Lambda fill: a function's LoggingConfig, stored and returned as set.
"""

from __future__ import annotations

from typing import Any

from .registry import fill



@fill
def lambda_logging_config() -> None:
    """Lambda: CreateFunction and UpdateFunctionConfiguration drop LoggingConfig, and
    GetFunction / GetFunctionConfiguration never return it, so every plan after an apply wants
    to set logging_config (JSON format, our log group) again. The fill stores it and returns it
    as set, with AWS's defaults for what was not set (LogFormat Text, LogGroup
    /aws/lambda/<function>).
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(
        self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.fill_logging_config = dict(spec.get("LoggingConfig") or {})

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        logging_config = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **getattr(self, "fill_logging_config", {}),
        }
        config["LoggingConfig"] = logging_config
        return config

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "LoggingConfig" in config_updates:
            self.fill_logging_config = dict(config_updates["LoggingConfig"] or {})
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
