"""The cloud domain's models: templates, virtual appliances, virtual machines,
and the simulated hypervisor's machines."""

from __future__ import annotations

import peewee

from abiq.db.models import BaseModel
from abiq.db.models import Enterprise
from abiq.db.models import utcnow

__all__ = [
    'DOMAIN_MODELS',
    'SimMachine',
    'Template',
    'VirtualAppliance',
    'VirtualMachine',
]


class Template(BaseModel):
    """What a virtual machine is built from; administrators manage them."""

    name = peewee.CharField(max_length=128, unique=True)
    description = peewee.CharField(max_length=1024, default='')
    os = peewee.CharField(max_length=64, default='linux')
    cpu = peewee.IntegerField(default=1)
    ram = peewee.IntegerField(default=512)
    disk = peewee.IntegerField(default=10)


class VirtualAppliance(BaseModel):
    """A group of virtual machines of one enterprise, deployed together."""

    enterprise = peewee.ForeignKeyField(Enterprise, backref='virtualappliances')
    name = peewee.CharField(max_length=128)
    state = peewee.CharField(max_length=16, default='NOT_DEPLOYED')
    # NOTE: the id of the task that holds the appliance; set and cleared with
    # conditional updates so two requests can never both take it.
    lock_task = peewee.CharField(max_length=36, null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class VirtualMachine(BaseModel):
    """A machine of an appliance; ``state`` is its hypervisor-side state."""

    virtualappliance = peewee.ForeignKeyField(VirtualAppliance, backref='machines')
    template = peewee.ForeignKeyField(Template)
    name = peewee.CharField(max_length=63)
    hostname = peewee.CharField(max_length=63)
    cpu = peewee.IntegerField()
    ram = peewee.IntegerField()
    disk = peewee.IntegerField()
    ip = peewee.CharField(max_length=45, null=True)
    nameservers = peewee.TextField(default='[]')
    state = peewee.CharField(max_length=16, default='NOT_ALLOCATED')
    lock_task = peewee.CharField(max_length=36, null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def machine_name(self) -> str:
        """Return the machine's name on the hypervisor (unique across tenants)."""
        return f'abiq-{self.id}-{self.name}'


class SimMachine(BaseModel):
    """A machine of the simulated hypervisor (its state lives here so every
    process of a deployment sees the same machines)."""

    name = peewee.CharField(max_length=128, unique=True)
    cpu = peewee.IntegerField()
    ram = peewee.IntegerField()
    disk = peewee.IntegerField()
    running = peewee.BooleanField(default=False)
    defined_at = peewee.DateTimeField(default=utcnow)


DOMAIN_MODELS = (Template, VirtualAppliance, VirtualMachine, SimMachine)
