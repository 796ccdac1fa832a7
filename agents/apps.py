from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents"

    def ready(self) -> None:
        from agents.runtime import check_model_available
        from storyengine.health import HEALTHY, register_check, unhealthy

        def check_ai_models() -> str:
            available, reason = check_model_available()
            return HEALTHY if available else unhealthy(reason)

        register_check("ai_models", check_ai_models)
