from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "liangxian.demo"
    label = "demo"
