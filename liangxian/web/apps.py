from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "liangxian.web"
    label = "web"
