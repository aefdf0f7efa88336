"""An OPC UA server built on asyncua (an independent implementation) with a known address space, for the
driver tests and the bench. Listens on 127.0.0.1 only.

    python opcua_server.py PORT [--secure DIR] [--users] [--bulk N]

--secure DIR  also offer Basic256Sha256 Sign and SignAndEncrypt, with a self-signed server certificate
              created in DIR
--users       require user name and password (operator / s3cret); anonymous is refused
--cert-users  require an X.509 user certificate (any certificate whose CN is "operator"); needs --secure
--bulk N      N more Double variables ns=2;s=Bulk.<i>, all changing once a second (bench)

Address space (ns=2, string ids): Well1.Pressure Double 1234.5, Well1.Temp Float 180.25, Well1.Starts
Int32 -3, Well1.Count UInt16 42, Well1.Running Boolean true, Well1.Mode String "AUTO", Well1.Setpoint
Double 50.0 (writable), Well1.Speed Int16 7 (writable), Well1.Faulty Double with BadSensorFailure,
Well1.Counter UInt32 +1 every 200 ms, Well1.Profile Double array [1.5, 2.0, 3.25], and the object
Well1.Pump with Well1.Pump.Current Double 31.5 (a level deeper, for browsing from a middle node).
"""

import argparse
import asyncio
import logging
from datetime import datetime, timezone
import os

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole

logging.basicConfig(level=logging.ERROR)


class Users:
    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username == "operator" and password == "s3cret":
            return User(role=UserRole.User)
        if certificate is not None:
            from cryptography import x509
            from cryptography.x509.oid import NameOID

            if isinstance(certificate, bytes):
                certificate = x509.load_der_x509_certificate(certificate)
            cn = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            if cn and cn[0].value == "operator":
                return User(role=UserRole.User)
        return None


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--secure")
    ap.add_argument("--users", action="store_true")
    ap.add_argument("--cert-users", action="store_true")
    ap.add_argument("--bulk", type=int, default=0)
    a = ap.parse_args()

    server = Server(user_manager=Users() if a.users or a.cert_users else None)
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{a.port}/wellconsole/")
    server.set_server_name("wellconsole test peer")
    uri = "urn:wellconsole:test-peer"
    await server.set_application_uri(uri)
    policies = [ua.SecurityPolicyType.NoSecurity]
    if a.secure:
        from asyncua.crypto.cert_gen import setup_self_signed_certificate
        from cryptography.x509.oid import ExtendedKeyUsageOID

        from pathlib import Path

        key, cert = Path(a.secure) / "server.pem", Path(a.secure) / "server.der"
        await setup_self_signed_certificate(
            key, cert, uri, "127.0.0.1", [ExtendedKeyUsageOID.SERVER_AUTH], {"commonName": "wellconsole test peer"}
        )
        await server.load_certificate(cert)
        await server.load_private_key(key)
        policies += [
            ua.SecurityPolicyType.Basic256Sha256_Sign,
            ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        ]
    server.set_security_policy(policies)
    tokens = []
    if a.users:
        tokens.append(ua.UserNameIdentityToken)
    if a.cert_users:
        tokens.append(ua.X509IdentityToken)
    server.set_identity_tokens(tokens or [ua.AnonymousIdentityToken])

    ns = await server.register_namespace("urn:wellconsole:peer")
    well = await server.nodes.objects.add_object(ua.NodeId("Well1", ns), "Well1")

    async def var(name, value, vtype, writable=False):
        v = await well.add_variable(ua.NodeId(f"Well1.{name}", ns), name, ua.Variant(value, vtype))
        if writable:
            await v.set_writable()
        return v

    await var("Pressure", 1234.5, ua.VariantType.Double)
    await var("Temp", 180.25, ua.VariantType.Float)
    await var("Starts", -3, ua.VariantType.Int32)
    await var("Count", 42, ua.VariantType.UInt16)
    await var("Running", True, ua.VariantType.Boolean)
    await var("Mode", "AUTO", ua.VariantType.String)
    await var("Setpoint", 50.0, ua.VariantType.Double, writable=True)
    await var("Speed", 7, ua.VariantType.Int16, writable=True)
    faulty = await var("Faulty", 0.0, ua.VariantType.Double)
    await faulty.write_value(
        ua.DataValue(ua.Variant(0.0, ua.VariantType.Double), StatusCode=ua.StatusCode(ua.StatusCodes.BadSensorFailure))
    )
    counter = await var("Counter", 0, ua.VariantType.UInt32)
    await var("Profile", [1.5, 2.0, 3.25], ua.VariantType.Double)
    pump = await well.add_object(ua.NodeId("Well1.Pump", ns), "Pump")
    await pump.add_variable(ua.NodeId("Well1.Pump.Current", ns), "Current", ua.Variant(31.5, ua.VariantType.Double))

    bulk_ids = []
    if a.bulk:
        folder = await server.nodes.objects.add_object(ua.NodeId("Bulk", ns), "Bulk")
        for i in range(a.bulk):
            v = await folder.add_variable(ua.NodeId(f"Bulk.{i}", ns), f"B{i}", ua.Variant(0.0, ua.VariantType.Double))
            bulk_ids.append(v.nodeid)

    async with server:
        print("READY", flush=True)
        n = 0
        while True:
            await asyncio.sleep(0.2)
            n += 1
            await server.write_attribute_value(counter.nodeid, ua.DataValue(ua.Variant(n, ua.VariantType.UInt32)))
            if bulk_ids and n % 5 == 0:
                # Source time = when the value changed, so a client can measure its lag.
                for i, nid in enumerate(bulk_ids):
                    now = datetime.now(timezone.utc)
                    await server.write_attribute_value(
                        nid, ua.DataValue(ua.Variant(float(n + i), ua.VariantType.Double), SourceTimestamp=now, ServerTimestamp=now)
                    )


asyncio.run(main())
