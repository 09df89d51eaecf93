"""notify(): inbox rows, outbound messages queued on commit, idempotency, bad input, masking."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.test import RequestFactory
from django_tasks_db.models import DBTaskResult

from civicgrid.core.errors import ServiceError
from civicgrid.notifications.addresses import mask_address, mask_email
from civicgrid.notifications.api.serializers import OutboundMessageSerializer
from civicgrid.notifications.models import Notification, OutboundMessage
from civicgrid.notifications.services import notify

pytestmark = pytest.mark.django_db


def _notify(users, key="case:1:overdue", channels=("inbox",)):
    return notify(
        recipients=users,
        kind="case.overdue",
        title="事件已超期",
        body="请尽快处置",
        link="/cases/1/",
        channels=channels,
        idempotency_key=key,
    )


def test_notify_writes_one_inbox_row_per_recipient(world):
    handler, township = world.user("handler"), world.user("township")
    result = _notify([handler, township, handler])
    assert len(result.notifications) == 2
    rows = Notification.objects.order_by("recipient_id")
    assert [(n.recipient_id, n.title, n.kind, n.link, n.read_at) for n in rows] == sorted(
        [
            (handler.pk, "事件已超期", "case.overdue", "/cases/1/", None),
            (township.pk, "事件已超期", "case.overdue", "/cases/1/", None),
        ]
    )


def test_same_key_twice_writes_nothing_new(world, django_capture_on_commit_callbacks):
    handler = world.user("handler")
    handler.phone, handler.email = "13812345678", "handler@example.cn"
    handler.save(update_fields=["phone", "email"])
    with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
        first = _notify([handler], channels=("inbox", "sms", "email"))
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = _notify([handler], channels=("inbox", "sms", "email"))
    assert (len(first.notifications), len(first.messages)) == (1, 2)
    assert (second.notifications, second.messages) == ([], [])
    assert Notification.objects.count() == 1
    assert OutboundMessage.objects.count() == 2
    assert (len(first_callbacks), len(second_callbacks)) == (2, 0)
    assert DBTaskResult.objects.count() == 2
    assert sorted(OutboundMessage.objects.values_list("idempotency_key", flat=True)) == [
        f"case:1:overdue:email:{handler.pk}",
        f"case:1:overdue:sms:{handler.pk}",
    ]


def test_new_recipient_with_same_key_gets_only_their_row(world):
    _notify([world.user("handler")])
    result = _notify([world.user("handler"), world.user("city")])
    assert [n.recipient.username for n in result.notifications] == ["city"]
    assert Notification.objects.count() == 2


def test_rollback_sends_nothing(world, django_capture_on_commit_callbacks):
    handler = world.user("handler")
    handler.phone = "13812345678"
    handler.save(update_fields=["phone"])
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify([handler], channels=("sms",))
        raise RuntimeError("the caller's write failed")
    assert (OutboundMessage.objects.count(), DBTaskResult.objects.count(), len(callbacks)) == (0, 0, 0)


def test_missing_address_is_a_visible_failure_not_a_silent_drop(world):
    township = world.user("township")
    township.phone = ""
    township.save(update_fields=["phone"])
    result = _notify([township], channels=("sms",))
    message = result.messages[0]
    assert (message.status, message.address, message.last_error) == (
        "failed",
        "",
        "收件人没有手机号，短信未发送。",
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"recipients": []}, "recipients", "notifications.no_recipients"),
        ({"idempotency_key": ""}, "idempotency_key", "notifications.missing_idempotency_key"),
        ({"channels": ("inbox", "fax")}, "channels", "notifications.unknown_channel"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(world, kwargs, field, code):
    args = {
        "recipients": [world.user("handler")],
        "kind": "x",
        "title": "t",
        "idempotency_key": "k",
        "channels": ("inbox",),
    } | kwargs
    with pytest.raises(ServiceError) as caught:
        notify(**args)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert (Notification.objects.count(), OutboundMessage.objects.count()) == (0, 0)


def test_related_object_is_stored_as_type_and_id(world):
    area = world.area("338001001000")
    result = notify(
        recipients=[world.user("handler")], kind="k", title="t", related=area, idempotency_key="r"
    )
    row = result.notifications[0]
    assert (row.related_type, row.related_id) == (
        f"{area._meta.app_label}.{area._meta.model_name}",
        str(area.pk),
    )


def test_addresses_are_masked():
    assert mask_address("sms", "13812345678") == "138****5678"
    assert mask_email("zhang.san@example.cn") == "z***@example.cn"
    assert mask_address("email", "li@gov.cn") == "l***@gov.cn"
    assert mask_email("nodomain") == "********"


def test_api_serializer_and_admin_never_show_the_raw_address(world):
    handler = world.user("handler")
    handler.phone = "13812345678"
    handler.save(update_fields=["phone"])
    message = _notify([handler], channels=("sms",)).messages[0]
    assert OutboundMessageSerializer(message).data["address"] == "138****5678"
    admin = site._registry[OutboundMessage]
    request = RequestFactory().get("/")
    request.user = world.user("admin")
    assert "address" not in admin.get_fields(request, message)
    assert admin.masked_address(message) == "138****5678"
