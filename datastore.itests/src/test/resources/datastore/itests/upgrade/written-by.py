# How flash-3528d4a.img(.gz) and its .wear file were written: the dock.jar built from commit
# 3528d4a (mvn package in a checkout of it), started on an empty data folder; a ROM store
# replace over HTTP with the protocol's sample, runtime keys (an overwrite, a removal, 40 settings)
# and an image through the shell; then a clean stop. Paths are those of the machine it ran on.
import base64, json, os, subprocess, sys, time, urllib.request, socket
java = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
data = os.path.abspath("data")
port = 18181
jar = "/work/wt-old/datastore.dock/target/dock.jar"
props = {"datastore.data.dir": data, "org.osgi.framework.storage": data + "/framework", "felix.cm.dir": data + "/config",
         "felix.fileinstall.dir": data + "/deploy", "org.osgi.service.http.port": str(port)}
os.makedirs(data + "/deploy", exist_ok=True)
cmd = [java] + ["-D%s=%s" % kv for kv in props.items()] + ["-jar", jar]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=open("dock.log", "w"), stderr=subprocess.STDOUT, cwd=data)
def shell(line):
    p.stdin.write((line + "\n").encode()); p.stdin.flush()
for i in range(200):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close(); break
    except OSError:
        time.sleep(0.1)
time.sleep(3)
def post(path, body, token=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
creds = {}
for line in open(data + "/dev-credentials.properties"):
    if "=" in line and not line.startswith("#"):
        k, v = line.strip().split("=", 1); creds[k] = v
tok = post("/api/isv/application/login", {"data": {"type": "isvApplicationLogin", "attributes": {"clientId": creds["client.id"], "clientSecret": creds["client.secret"], "enterpriseId": creds["enterprise.id"]}}})["data"]["attributes"]["accessToken"]
S = "/work/shared/protocol/sample/"
b64 = lambda f: base64.b64encode(open(S + f, "rb").read()).decode()
post("/api/docks/application/romstore", {"data": {"type": "applicationRomStore", "attributes": {"dockId": creds["dock.id"],
     "code": {"code": b64("app.py")}, "kvStore": {"dock_name": "RW02-0005", "timezone": "GB", "content_url": "https://content.example.com/dock"},
     "images": {"default": {"type": "PNG", "data": b64("images/splash-1080p.png")}, "logo": {"type": "BMP", "data": b64("images/small.bmp")}}}}}, tok)
for line in ["datastore:kvput -p runtime brightness 70", "datastore:kvput -p runtime brightness 75",
             "datastore:kvput -p runtime dock_name Kitchen", "datastore:kvput -p runtime tmp gone",
             "datastore:kvremove tmp runtime", "datastore:kvput -p runtime timezone UTC",
             "datastore:imageput -p runtime splash " + S + "images/small.png",
             "datastore:kvlist", "datastore:imagelist", "datastore:usage"]:
    shell(line)
for i in range(40):
    shell("datastore:kvput -p runtime setting.%02d value-%d" % (i, i * i))
time.sleep(3)
p.stdin.close()
p.wait(60)
print("exit", p.returncode)
