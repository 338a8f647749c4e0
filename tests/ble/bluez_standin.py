#!/usr/bin/python3
"""A scripted stand-in for bluetoothd on a private D-Bus, for tests/ble.

It exports what BlueZ exports for LE health devices (org.bluez: ObjectManager at /,
AgentManager1 at /org/bluez, Adapter1 at /org/bluez/hci0, Device1, GattService1,
GattCharacteristic1 with Properties and PropertiesChanged) and behaves like BlueZ where the
gateway depends on it: the discovery filter decides which unpaired devices appear, Pair() asks the
registered agent for a passkey when the device wants passkey entry, Connect() fails while the
device is out of range, StartNotify() sets Notifying, values are delivered as PropertiesChanged
on Value, and the glucose meter answers the Record Access Control Point.

GATT objects exist only while the device is connected (bluetoothd without a GATT cache): they
appear before ServicesResolved and go when the link drops.

The test drives it through org.vigil.test.Control at /org/vigil/test (add/remove the adapter,
add devices, notify, put a device out of range, read what was written to it).

Run with /usr/bin/python3 (Debian's python3-dbus and python3-gi); the bus address comes from
--bus (else DBUS_SYSTEM_BUS_ADDRESS).
"""
import argparse
import os
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

BLUEZ = "org.bluez"
PROPS = "org.freedesktop.DBus.Properties"
OM = "org.freedesktop.DBus.ObjectManager"
ADAPTER = "org.bluez.Adapter1"
DEVICE = "org.bluez.Device1"
SERVICE = "org.bluez.GattService1"
CHAR = "org.bluez.GattCharacteristic1"
AGENT_MGR = "org.bluez.AgentManager1"
CONTROL = "org.vigil.test.Control"


def uuid128(u16):
    return "0000%04x-0000-1000-8000-00805f9b34fb" % u16


# kind -> [(service uuid16, [(char uuid16, flags)])]
CTS = (0x1805, [(0x2A2B, ["read", "write", "notify"])])
PROFILES = {
    "bp": [(0x1810, [(0x2A35, ["indicate"]), (0x2A36, ["notify"])]), CTS],
    "hr": [(0x180D, [(0x2A37, ["notify"])])],
    "plx": [(0x1822, [(0x2A5E, ["indicate"]), (0x2A5F, ["notify"])])],
    "weight": [(0x181D, [(0x2A9D, ["indicate"])])],
    "thermo": [(0x1809, [(0x2A1C, ["indicate"])])],
    "glucose": [(0x1808, [(0x2A18, ["notify"]), (0x2A34, ["notify"]),
                          (0x2A52, ["write", "indicate"])]), CTS],
    "hid": [(0x1812, [])],  # a keyboard: not a health device
}


class Error(dbus.DBusException):
    def __init__(self, name, msg=""):
        super().__init__(msg)
        self._dbus_error_name = "org.bluez.Error." + name


def bytes_(values):
    return dbus.Array([dbus.Byte(int(b)) for b in values], signature="y")


class BluezObject(dbus.service.Object):
    def __init__(self, world, path, iface, props):
        self.world = world
        self.path = path
        self.iface = iface
        self.props = props
        super().__init__(world.bus, path)

    def set_props(self, **changed):
        self.props.update(changed)
        self.PropertiesChanged(self.iface, dbus.Dictionary(changed, signature="sv"),
                               dbus.Array([], signature="s"))

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, name):
        return self.props[name]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return dbus.Dictionary(self.props, signature="sv") if iface == self.iface else {}

    @dbus.service.method(PROPS, in_signature="ssv")
    def Set(self, iface, name, value):
        self.world.log("Set %s %s %s" % (self.path, name, value))
        self.on_set(name, value)

    def on_set(self, name, value):
        raise Error("NotSupported", name)

    @dbus.service.signal(PROPS, signature="sa{sv}as")
    def PropertiesChanged(self, iface, changed, invalidated):
        pass


class Characteristic(BluezObject):
    def __init__(self, world, device, path, service_path, u16, flags):
        self.device = device
        self.u16 = u16
        super().__init__(world, path, CHAR, {
            "UUID": uuid128(u16),
            "Service": dbus.ObjectPath(service_path),
            "Flags": dbus.Array(flags, signature="s"),
            "Notifying": dbus.Boolean(False),
            "Value": bytes_([]),
        })

    @dbus.service.method(CHAR, in_signature="", out_signature="")
    def StartNotify(self):
        if not self.device.props["Connected"]:
            raise Error("NotConnected")
        self.set_props(Notifying=dbus.Boolean(True))

    @dbus.service.method(CHAR, in_signature="", out_signature="")
    def StopNotify(self):
        self.set_props(Notifying=dbus.Boolean(False))

    @dbus.service.method(CHAR, in_signature="a{sv}", out_signature="ay")
    def ReadValue(self, options):
        return self.props["Value"]

    @dbus.service.method(CHAR, in_signature="aya{sv}", out_signature="")
    def WriteValue(self, value, options):
        if not self.device.props["Connected"]:
            raise Error("NotConnected")
        data = [int(b) for b in value]
        self.device.writes.setdefault(self.u16, []).append(data)
        if self.u16 == 0x2A52:
            GLib.idle_add(self.device.answer_racp, data)

    def deliver(self, data):
        if not self.props["Notifying"]:
            return False
        self.set_props(Value=bytes_(data))
        return True


class Device(BluezObject):
    def __init__(self, world, address, kind, pairing, paired):
        self.address = address
        self.kind = kind
        self.pairing = pairing
        self.in_range = True
        self.writes = {}  # uuid16 -> [values written], across connections
        self.records = []  # glucose: [(seq, bytes)]
        self.chars = {}
        self.services = []
        self.exported = False
        path = world.adapter.path + "/dev_" + address.replace(":", "_")
        uuids = [uuid128(s) for s, _ in PROFILES[kind]]
        BluezObject.__init__(self, world, path, DEVICE, {
            "Address": address,
            "AddressType": "public",
            "Alias": address.replace(":", "-"),
            "UUIDs": dbus.Array(uuids, signature="s"),
            "Paired": dbus.Boolean(paired),
            "Trusted": dbus.Boolean(False),
            "Connected": dbus.Boolean(False),
            "ServicesResolved": dbus.Boolean(False),
            "Adapter": dbus.ObjectPath(world.adapter.path),
        })
        self.remove_from_connection()  # exported when discovered or paired

    def export(self):
        if self.exported:
            return
        self.add_to_connection(self.world.bus, self.path)
        self.exported = True
        self.world.added(self)

    def export_gatt(self):
        """Like bluetoothd after service discovery: the GATT objects appear, then
        ServicesResolved. They go again when the link drops (no GATT cache)."""
        if self.chars:
            return
        handle = 0x000a
        for s16, chars in PROFILES[self.kind]:
            spath = "%s/service%04x" % (self.path, handle)
            svc = Service(self.world, spath, s16, self.path)
            self.services.append(svc)
            self.world.added(svc)
            handle += 1
            for c16, flags in chars:
                cpath = "%s/char%04x" % (spath, handle)
                handle += 2
                ch = Characteristic(self.world, self, cpath, spath, c16, flags)
                self.chars[c16] = ch
                self.world.added(ch)

    def unexport_gatt(self):
        for ch in self.chars.values():
            self.world.removed(ch)
        for svc in self.services:
            self.world.removed(svc)
        self.chars = {}
        self.services = []

    def unexport(self):
        if not self.exported:
            return
        self.unexport_gatt()
        self.world.removed(self)
        self.exported = False

    def on_set(self, name, value):
        if name == "Trusted":
            self.set_props(Trusted=dbus.Boolean(bool(value)))
        else:
            raise Error("NotSupported", name)

    @dbus.service.method(DEVICE, in_signature="", out_signature="",
                         async_callbacks=("ok", "err"))
    def Pair(self, ok, err):
        if self.props["Paired"]:
            return err(Error("AlreadyExists"))
        if not self.in_range:
            return err(Error("ConnectionAttemptFailed"))
        if self.pairing == "justworks":
            self.set_props(Paired=dbus.Boolean(True))
            return ok()
        expected = int(self.pairing.split(":")[1])
        agent = self.world.agent
        if agent is None:
            return err(Error("AuthenticationRejected", "no agent"))
        proxy = self.world.bus.get_object(agent[0], agent[1], introspect=False)

        def on_passkey(passkey):
            self.world.log("agent gave a passkey for %s" % self.address)
            if int(passkey) != expected:
                return err(Error("AuthenticationFailed"))
            self.set_props(Paired=dbus.Boolean(True))
            ok()

        def on_error(e):
            self.world.log("agent refused: %s" % e)
            err(Error("AuthenticationRejected"))

        proxy.RequestPasskey(dbus.ObjectPath(self.path), dbus_interface="org.bluez.Agent1",
                             reply_handler=on_passkey, error_handler=on_error)

    @dbus.service.method(DEVICE, in_signature="", out_signature="")
    def Connect(self):
        if not self.in_range:
            raise Error("Failed", "le-connection-abort-by-local")
        if self.props["Connected"]:
            return
        self.set_props(Connected=dbus.Boolean(True))

        def resolve():
            if self.props["Connected"]:
                self.export_gatt()
                self.set_props(ServicesResolved=dbus.Boolean(True))
            return False

        GLib.idle_add(resolve)

    @dbus.service.method(DEVICE, in_signature="", out_signature="")
    def Disconnect(self):
        self.drop_link()

    def drop_link(self):
        if not self.props["Connected"]:
            return
        self.set_props(ServicesResolved=dbus.Boolean(False))
        self.unexport_gatt()
        self.set_props(Connected=dbus.Boolean(False))

    def answer_racp(self, request):
        if 0x2A52 not in self.chars:  # the link dropped meanwhile
            return False
        racp = self.chars[0x2A52]
        meas = self.chars[0x2A18]
        if request[:2] == [0x01, 0x01]:
            chosen = self.records
        elif request[:3] == [0x01, 0x03, 0x01] and len(request) == 5:
            first = request[3] | (request[4] << 8)
            chosen = [r for r in self.records if r[0] >= first]
        else:
            racp.deliver([0x06, 0x00, request[0] if request else 0, 0x02])  # op code unsupported
            return False
        for _, data in chosen:
            meas.deliver(data)
        racp.deliver([0x06, 0x00, 0x01, 0x01 if chosen else 0x06])
        return False


class Service(BluezObject):
    def __init__(self, world, path, u16, device_path):
        super().__init__(world, path, SERVICE, {
            "UUID": uuid128(u16),
            "Primary": dbus.Boolean(True),
            "Device": dbus.ObjectPath(device_path),
        })


class Adapter(BluezObject):
    def __init__(self, world):
        self.filter_uuids = None
        self.transport = ""
        super().__init__(world, "/org/bluez/hci0", ADAPTER, {
            "Address": "00:1A:7D:DA:71:13",
            "Name": "vigil-test",
            "Powered": dbus.Boolean(False),
            "Discovering": dbus.Boolean(False),
        })

    def on_set(self, name, value):
        if name == "Powered":
            self.set_props(Powered=dbus.Boolean(bool(value)))
        else:
            raise Error("NotSupported", name)

    @dbus.service.method(ADAPTER, in_signature="a{sv}", out_signature="")
    def SetDiscoveryFilter(self, f):
        self.filter_uuids = [str(u).lower() for u in f.get("UUIDs", [])]
        self.transport = str(f.get("Transport", "auto"))

    @dbus.service.method(ADAPTER, in_signature="", out_signature="")
    def StartDiscovery(self):
        if not self.props["Powered"]:
            raise Error("NotReady")
        self.set_props(Discovering=dbus.Boolean(True))
        GLib.idle_add(self.world.discover)

    @dbus.service.method(ADAPTER, in_signature="", out_signature="")
    def StopDiscovery(self):
        self.set_props(Discovering=dbus.Boolean(False))

    def matches(self, device):
        if not self.filter_uuids:
            return True
        return any(str(u).lower() in self.filter_uuids for u in device.props["UUIDs"])


class AgentManager(dbus.service.Object):
    def __init__(self, world):
        self.world = world
        super().__init__(world.bus, "/org/bluez")

    @dbus.service.method(AGENT_MGR, in_signature="os", out_signature="", sender_keyword="sender")
    def RegisterAgent(self, path, capability, sender=None):
        self.world.agent = (sender, str(path), str(capability))
        self.world.log("agent registered: %s %s" % (path, capability))

    @dbus.service.method(AGENT_MGR, in_signature="o", out_signature="")
    def UnregisterAgent(self, path):
        self.world.agent = None

    @dbus.service.method(AGENT_MGR, in_signature="o", out_signature="")
    def RequestDefaultAgent(self, path):
        pass


class Root(dbus.service.Object):
    def __init__(self, world):
        self.world = world
        super().__init__(world.bus, "/")

    @dbus.service.method(OM, in_signature="", out_signature="a{oa{sa{sv}}}")
    def GetManagedObjects(self):
        return {o.path: {o.iface: o.props} for o in self.world.objects.values()}

    @dbus.service.signal(OM, signature="oa{sa{sv}}")
    def InterfacesAdded(self, path, ifaces):
        pass

    @dbus.service.signal(OM, signature="oas")
    def InterfacesRemoved(self, path, ifaces):
        pass


class Control(dbus.service.Object):
    def __init__(self, world):
        self.world = world
        super().__init__(world.bus, "/org/vigil/test")

    def dev(self, address):
        d = self.world.devices.get(str(address).upper())
        if d is None:
            raise dbus.DBusException("no such device " + address)
        return d

    @dbus.service.method(CONTROL, in_signature="", out_signature="")
    def AddAdapter(self):
        self.world.add_adapter()

    @dbus.service.method(CONTROL, in_signature="", out_signature="")
    def RemoveAdapter(self):
        self.world.remove_adapter()

    @dbus.service.method(CONTROL, in_signature="sssb", out_signature="")
    def AddDevice(self, address, kind, pairing, paired):
        self.world.add_device(str(address).upper(), str(kind), str(pairing), bool(paired))

    @dbus.service.method(CONTROL, in_signature="sqay", out_signature="b")
    def Notify(self, address, u16, value):
        d = self.dev(address)
        ch = d.chars.get(int(u16))
        return bool(ch and ch.deliver([int(b) for b in value]))

    @dbus.service.method(CONTROL, in_signature="sa(qay)", out_signature="")
    def SetRecords(self, address, records):
        self.dev(address).records = [(int(s), [int(b) for b in v]) for s, v in records]

    @dbus.service.method(CONTROL, in_signature="sb", out_signature="")
    def SetInRange(self, address, in_range):
        d = self.dev(address)
        d.in_range = bool(in_range)
        if not d.in_range:
            d.drop_link()

    @dbus.service.method(CONTROL, in_signature="sq", out_signature="aay")
    def Writes(self, address, u16):
        writes = self.dev(address).writes.get(int(u16), [])
        return dbus.Array([bytes_(w) for w in writes], signature="ay")

    @dbus.service.method(CONTROL, in_signature="s", out_signature="a{sv}")
    def DeviceState(self, address):
        d = self.dev(address)
        return dbus.Dictionary({
            "Exported": dbus.Boolean(d.exported),
            "Paired": d.props["Paired"],
            "Trusted": d.props["Trusted"],
            "Connected": d.props["Connected"],
            "Notifying": dbus.UInt32(sum(1 for c in d.chars.values() if c.props["Notifying"])),
        }, signature="sv")

    @dbus.service.method(CONTROL, in_signature="", out_signature="a{sv}")
    def AdapterState(self):
        a = self.world.adapter
        if a is None:
            return dbus.Dictionary({"Present": dbus.Boolean(False)}, signature="sv")
        return dbus.Dictionary({
            "Present": dbus.Boolean(True),
            "Powered": a.props["Powered"],
            "Discovering": a.props["Discovering"],
            "FilterUUIDs": dbus.Array(a.filter_uuids or [], signature="s"),
            "Transport": a.transport,
            "Agent": self.world.agent[2] if self.world.agent else "",
        }, signature="sv")


class World:
    def __init__(self, bus, verbose):
        self.bus = bus
        self.verbose = verbose
        self.objects = {}
        self.devices = {}
        self.adapter = None
        self.agent = None
        self.root = Root(self)
        AgentManager(self)
        Control(self)

    def log(self, msg):
        if self.verbose:
            print("standin:", msg, file=sys.stderr, flush=True)

    def added(self, obj):
        self.objects[obj.path] = obj
        self.root.InterfacesAdded(dbus.ObjectPath(obj.path),
                                  {obj.iface: dbus.Dictionary(obj.props, signature="sv")})

    def removed(self, obj):
        self.objects.pop(obj.path, None)
        self.root.InterfacesRemoved(dbus.ObjectPath(obj.path), dbus.Array([obj.iface], signature="s"))
        obj.remove_from_connection()

    def add_adapter(self):
        if self.adapter is not None:
            return
        self.adapter = Adapter(self)
        self.added(self.adapter)
        for d in self.devices.values():
            d.props["Connected"] = dbus.Boolean(False)
            d.props["ServicesResolved"] = dbus.Boolean(False)
            if d.props["Paired"]:
                d.export()

    def remove_adapter(self):
        if self.adapter is None:
            return
        for d in self.devices.values():
            d.unexport()
        self.removed(self.adapter)
        self.adapter = None

    def add_device(self, address, kind, pairing, paired):
        d = Device(self, address, kind, pairing, paired)
        self.devices[address] = d
        if paired or (self.adapter.props["Discovering"] and self.adapter.matches(d)):
            d.export()

    def discover(self):
        if self.adapter is None or not self.adapter.props["Discovering"]:
            return False
        for d in self.devices.values():
            if self.adapter.matches(d):
                d.export()
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bus", default=os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", ""))
    ap.add_argument("--no-adapter", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(args.bus)
    world = World(bus, args.verbose)
    if not args.no_adapter:
        world.add_adapter()
    # Own the name last: the gateway sees BlueZ appear with its objects in place.
    name = dbus.service.BusName(BLUEZ, bus, do_not_queue=True)
    world.log("ready")
    loop = GLib.MainLoop()
    try:
        loop.run()
    finally:
        del name


if __name__ == "__main__":
    main()
