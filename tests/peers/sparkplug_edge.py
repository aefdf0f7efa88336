"""A Sparkplug B edge node built on pysparkplug (an independent implementation), driven line by line
from stdin so a test can make it misbehave on cue. Prints what it receives, one line per event.

    python sparkplug_edge.py PORT GROUP NODE

stdin commands:
    temp X      DDATA esp01 Motor/Temp = X, by alias only (as edge nodes publish after birth)
    gap         skip three sequence numbers before the next message
    ddeath      DDEATH esp01
    deaf        take no more DCMDs: they are printed, never applied or reported back
    garbage     a DDATA whose payload is not protobuf
    quit        clean disconnect: NDEATH, then exit
stdout events:
    BIRTH n         NBIRTH + DBIRTH sent (n-th time)
    REBIRTH         an NCMD asked for Node Control/Rebirth
    DCMD name v     a DCMD wrote metric `name`; echoed back in DDATA (the write's read-back)
    IGNORED name v  a DCMD arrived after `deaf`
"""

import sys
import threading

import pysparkplug as sp

port, group, node = int(sys.argv[1]), sys.argv[2], sys.argv[3]
DEVICE = "esp01"
lock = threading.Lock()
state = {"seq": 0, "births": 0, "temp": 180.5, "sp": 52.0, "bd": 0, "deaf": False}

T = sp.DataType
# name, alias, datatype, initial value
NODE_METRICS = [("Node Control/Rebirth", 1, T.BOOLEAN, False), ("Site/Power", 2, T.FLOAT, 410.5)]
DEVICE_METRICS = [
    ("Motor/Temp", 10, T.DOUBLE, lambda: state["temp"]),
    ("Running", 11, T.BOOLEAN, lambda: True),
    ("Starts", 12, T.INT32, lambda: -3),
    ("Mode", 13, T.STRING, lambda: "AUTO"),
    ("Frequency SP", 14, T.FLOAT, lambda: state["sp"]),
    ("Total", 15, T.UINT64, lambda: 12_345_678_901),
]

client = sp.Client(client_id=f"edge-{node}")


def now():
    return sp.get_current_timestamp()


def topic(kind, device=None):
    return sp.Topic(message_type=kind, group_id=group, edge_node_id=node, device_id=device)


def next_seq():
    s = state["seq"]
    state["seq"] = (s + 1) % 256
    return s


def bd_metric():
    return sp.Metric(timestamp=now(), name="bdSeq", datatype=T.INT64, value=state["bd"])


def publish(kind, payload, device=None):
    client.publish(sp.Message(topic=topic(kind, device), payload=payload, qos=sp.QoS.AT_LEAST_ONCE, retain=False),
                   include_dtypes=True)


def births():
    with lock:
        state["seq"] = 0
        state["births"] += 1
        metrics = [sp.Metric(timestamp=now(), name=n, alias=a, datatype=d, value=v) for n, a, d, v in NODE_METRICS]
        publish(sp.MessageType.NBIRTH, sp.NBirth(timestamp=now(), seq=next_seq(), metrics=(*metrics, bd_metric())))
        dm = [sp.Metric(timestamp=now(), name=n, alias=a, datatype=d, value=f()) for n, a, d, f in DEVICE_METRICS]
        publish(sp.MessageType.DBIRTH, sp.DBirth(timestamp=now(), seq=next_seq(), metrics=tuple(dm)), DEVICE)
    print(f"BIRTH {state['births']}", flush=True)


def ddata(metrics):
    with lock:
        publish(sp.MessageType.DDATA, sp.DData(timestamp=now(), seq=next_seq(), metrics=tuple(metrics)), DEVICE)


def on_ncmd(_client, message):
    for m in message.payload.metrics:
        if m.name == "Node Control/Rebirth" and m.value:
            print("REBIRTH", flush=True)
            births()


def on_dcmd(_client, message):
    for m in message.payload.metrics:
        if m.name == "Frequency SP" and state["deaf"]:
            print(f"IGNORED {m.name} {m.value}", flush=True)
        elif m.name == "Frequency SP":
            state["sp"] = float(m.value)
            print(f"DCMD {m.name} {m.value}", flush=True)
            ddata([sp.Metric(timestamp=now(), name=None, alias=14, datatype=T.FLOAT, value=state["sp"])])


will = sp.Message(topic=topic(sp.MessageType.NDEATH), payload=sp.NDeath(timestamp=now(), bd_seq_metric=bd_metric()),
                  qos=sp.QoS.AT_LEAST_ONCE, retain=False)
client.set_will(will)
client.subscribe(topic(sp.MessageType.NCMD), sp.QoS.AT_LEAST_ONCE, on_ncmd)
client.subscribe(topic(sp.MessageType.DCMD, DEVICE), sp.QoS.AT_LEAST_ONCE, on_dcmd)
client.connect("127.0.0.1", port=port, blocking=False, callback=lambda _c: threading.Thread(target=births).start())

for line in sys.stdin:
    cmd = line.split()
    if not cmd:
        continue
    if cmd[0] == "temp":
        state["temp"] = float(cmd[1])
        ddata([sp.Metric(timestamp=now(), name=None, alias=10, datatype=T.DOUBLE, value=state["temp"])])
    elif cmd[0] == "gap":
        with lock:
            state["seq"] = (state["seq"] + 3) % 256
    elif cmd[0] == "deaf":
        state["deaf"] = True
    elif cmd[0] == "ddeath":
        with lock:
            publish(sp.MessageType.DDEATH, sp.DDeath(timestamp=now(), seq=next_seq()), DEVICE)
    elif cmd[0] == "garbage":
        client._client.publish(str(topic(sp.MessageType.DDATA, DEVICE)), b"\xff\xfe not protobuf", qos=1)
    elif cmd[0] == "quit":
        with lock:
            publish(sp.MessageType.NDEATH, sp.NDeath(timestamp=now(), bd_seq_metric=bd_metric()))
        client.disconnect()
        break
    print(f"OK {cmd[0]}", flush=True)
