from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "promoter.accounts"
    label = "accounts"
