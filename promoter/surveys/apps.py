from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "promoter.surveys"
    label = "surveys"
