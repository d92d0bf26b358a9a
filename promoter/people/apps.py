from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "promoter.people"
    label = "people"
