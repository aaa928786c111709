import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"customer{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Petrova{n}")
    password = factory.django.Password("secret-pass")
