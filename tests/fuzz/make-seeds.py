#!/usr/bin/env python3
# realtime-gateway: writes the checked-in seed corpora of tests/fuzz/corpus/.
# Run it again after changing a seed here; the files are small and named
# for what they hold, so a reviewer can read the corpus by its names.
#
# Usage: tests/fuzz/make-seeds.py [--target NAME]
import argparse
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

V1, V2, BIN = b"\x00", b"\x01", b"\x02"


def kind4(topic, event, meta, enc, payload):
    t, e, m = topic.encode(), event.encode(), meta.encode()
    return bytes([4, len(t), len(e), len(m), enc]) + t + e + m + payload


def kind3(join_ref, ref, topic, event, meta, enc, payload):
    j, r, t, e, m = (s.encode() for s in (join_ref, ref, topic, event, meta))
    return (bytes([3, len(j), len(r), len(t), len(e), len(m), enc])
            + j + r + t + e + m + payload)


def kind1(join_ref, ref, topic, status, response):
    j, r, t, s = (x.encode() for x in (join_ref, ref, topic, status))
    return bytes([1, len(j), len(r), len(t), len(s)]) + j + r + t + s + response


def kind0(join_ref, topic, event, payload):
    j, t, e = (x.encode() for x in (join_ref, topic, event))
    return bytes([0, len(j), len(t), len(e)]) + j + t + e + payload


def kind2(topic, event, payload):
    t, e = topic.encode(), event.encode()
    return bytes([2, len(t), len(e)]) + t + e + payload


JOIN_CONFIG = (b'{"config":{"broadcast":{"ack":false,"self":false},'
               b'"presence":{"key":"","enabled":false},'
               b'"postgres_changes":[],"private":false}}')

CODEC = {
    # Real frames of realtime-js and the server.
    "v2-join": V2 + b'["1","1","realtime:T","phx_join",' + JOIN_CONFIG + b']',
    "v2-join-reply": V2 + b'["1","1","realtime:T","phx_reply",'
    b'{"response":{"postgres_changes":[]},"status":"ok"}]',
    "v2-heartbeat": V2 + b'[null,"2","phoenix","heartbeat",{}]',
    "v2-heartbeat-reply": V2 + b'[null,"2","phoenix","phx_reply",'
    b'{"response":{},"status":"ok"}]',
    "v2-batch-broadcast": V2 + b'[null,null,"realtime:T","broadcast",'
    b'{"event":"start","payload":{"pipeline":"cam","ttl":60},'
    b'"type":"broadcast"}]',
    "v2-phx-close": V2 + b'["1","1","realtime:T","phx_close",{}]',
    "v2-phx-error": V2 + b'["1","1","realtime:T","phx_error",'
    b'{"reason":"channel_crash"}]',
    "v2-system-error": V2 + b'["1",null,"realtime:T","system",'
    b'{"channel":"T","extension":"system","message":"Token has expired",'
    b'"status":"error"}]',
    "v2-unmatched": V2 + b'[null,"5","realtime:U","phx_reply",'
    b'{"response":{"reason":"unmatched topic"},"status":"error"}]',
    "v2-join-error": V2 + b'["3","3","realtime:T","phx_reply",'
    b'{"response":{"reason":"Unauthorized: You do not have permissions"},'
    b'"status":"error"}]',
    "v1-broadcast": V1 + b'{"topic":"realtime:robot-1","event":"broadcast",'
    b'"payload":{"type":"broadcast","event":"start","payload":'
    b'{"pipeline":"cam"},"meta":{"id":"x","replayed":false}},"ref":null}',
    "v1-join": V1 + b'{"topic":"realtime:T","event":"phx_join","payload":'
    + JOIN_CONFIG + b',"ref":"1","join_ref":"1"}',
    "v1-reply-int-ref": V1 + b'{"topic":"phoenix","event":"phx_reply",'
    b'"payload":{"status":"ok","response":{}},"ref":7}',
    "v1-presence-state": V1 + b'{"topic":"realtime:T","event":'
    b'"presence_state","payload":{"k":{"metas":[{"phx_ref":"F1","a":1}]}},'
    b'"ref":null}',
    "bin-kind4-json": BIN + kind4("realtime:T", "start", "", 1,
                                  b'{"pipeline":"cam"}'),
    "bin-kind4-meta": BIN + kind4("realtime:T", "stop", '{"id":"m1"}', 1,
                                  b'{"pipeline":"cam","request_id":"r"}'),
    "bin-kind4-raw": BIN + kind4("realtime:T", "blob", "", 0,
                                 b"\x00\x01\xfe\xff"),
    "bin-kind3-push": BIN + kind3("1", "4", "realtime:T", "start", "", 1,
                                  b'{"a":[1,2.5,"x",null,true]}'),
    "bin-kind1-reply": BIN + kind1("1", "1", "realtime:T", "ok",
                                   b'{"postgres_changes":[]}'),
    "bin-kind0-push": BIN + kind0("1", "realtime:T", "presence", b'{}'),
    "bin-kind2-broadcast": BIN + kind2("realtime:T", "broadcast",
                                       b'{"event":"x","payload":{}}'),
    # Hostile frames.
    "hostile-not-json": V2 + b"{not json",
    "hostile-empty": V1,
    "hostile-deep-array": V2 + b"[null,null,\"t\",\"e\"," + b"[" * 70
    + b"]" * 70 + b"]",
    "hostile-deep-object": V1 + b'{"topic":"t","event":"e","ref":null,'
    b'"payload":' + b'{"a":' * 70 + b"1" + b"}" * 71,
    "hostile-huge-int": V2 + b'[null,null,"t","e",{"n":99999999999999999999}]',
    "hostile-huge-double": V2 + b'[null,null,"t","e",{"n":1e999}]',
    "hostile-int-ref": V2 + b'[9223372036854775807,-1,"t","e",{}]',
    "hostile-lone-surrogate": V2 + b'[null,null,"t","e",{"s":"\\ud800"}]',
    "hostile-nul-escape": V2 + b'[null,null,"realtime:T\\u0000x","start",'
    b'{"s":"a\\u0000b"}]',
    "hostile-control-chars": V2 + b'[null,null,"t","e",'
    b'{"s":"\\u001f\\u0001\\n"}]',
    "hostile-bad-utf8": V2 + b'[null,null,"t","\xc3\x28",{}]',
    "hostile-overlong-utf8": V2 + b'[null,null,"t","\xc0\xaf",{}]',
    "hostile-four-elements": V2 + b'[null,null,"t","e"]',
    "hostile-six-elements": V2 + b'[null,null,"t","e",{},1]',
    "hostile-topic-number": V1 + b'{"topic":17,"event":"e","payload":{},'
    b'"ref":null}',
    "hostile-duplicate-keys": V1 + b'{"topic":"a","topic":"b","event":"e",'
    b'"payload":{},"payload":[],"ref":null}',
    "hostile-trailing": V2 + b'[null,null,"t","e",{}] x',
    "hostile-bin-empty": BIN,
    "hostile-bin-kind9": BIN + b"\x09\x01\x02\x03",
    "hostile-bin-short-header": BIN + b"\x04\x10\x05",
    "hostile-bin-past-end": BIN + b"\x04\xc8\xc8\xc8\x01re",
    "hostile-bin-bad-json": BIN + kind4("realtime:T", "e", "", 1, b"{x"),
    "hostile-bin-bad-encoding": BIN + kind4("realtime:T", "e", "", 7, b"{}"),
    "hostile-bin-meta-not-json": BIN + kind4("realtime:T", "e", "meta", 1,
                                             b"{}"),
    "hostile-bin-max-lengths": BIN + kind4("t" * 255, "e" * 255, "", 1,
                                           b"[]"),
    "hostile-bin-deep-payload": BIN + kind4("t", "e", "", 1,
                                            b"[" * 63 + b"]" * 63),
    "hostile-bin-utf8-topic": BIN + kind4("realtime:\u00e9", "e", "", 1,
                                          b"{}"),
    "hostile-bin-bad-utf8-topic": BIN + bytes([4, 2, 1, 0, 1]) + b"\xff\xfe"
    + b"e{}",
}


# Request payloads (the broadcast's inner "payload"): byte 0 selects the
# kind (0 start, 1 stop, 2 renew, 3 status, 4 describe), the rest is JSON
# text.
START, STOP, RENEW, STATUS, DESCRIBE = (b"\x00", b"\x01", b"\x02", b"\x03",
                                        b"\x04")
REQUEST = {
    "describe-all": DESCRIBE + b'{"request_id":"d"}',
    "describe-one": DESCRIBE + b'{"pipeline":"cam","request_id":"d1"}',
    # Refused by the codec's guards: still answered (the envelope is read).
    "refused-nul": START + b'{"pipeline":"cam","request_id":"n",'
    b'"params":{"name":"a\\u0000b"}}',
    "refused-surrogate": STOP + b'{"pipeline":"cam","request_id":"\\ud800"}',
    "refused-range": RENEW + b'{"pipeline":"cam","request_id":"r",'
    b'"ttl":18446744073709552000}',
    "refused-1e999": DESCRIBE + b'{"request_id":"x","n":1e999}',
    "start-minimal": START + b'{"pipeline":"cam"}',
    "start-full": START + b'{"pipeline":"cam","request_id":"op-1",'
    b'"ttl":60,"params":{"bitrate":2500,"pattern":"ball","name":"clip_01",'
    b'"gain":0.5,"flag":true,"offset":-3}}',
    "stop": STOP + b'{"pipeline":"cam","request_id":"op-2"}',
    "renew": RENEW + b'{"pipeline":"cam","ttl":30}',
    "status-all": STATUS + b'{}',
    "status-one": STATUS + b'{"pipeline":"cam","request_id":"s"}',
    # Hostile.
    "hostile-wrong-types": START + b'{"pipeline":7,"request_id":[],'
    b'"ttl":"60","params":[]}',
    "hostile-ttl-huge": RENEW + b'{"pipeline":"cam","ttl":9223372036854775807}',
    "hostile-ttl-negative": START + b'{"pipeline":"cam","ttl":-1}',
    "hostile-ttl-double": START + b'{"pipeline":"cam","ttl":1.5}',
    "hostile-bitrate-huge": START + b'{"pipeline":"cam","params":'
    b'{"bitrate":18446744073709551616}}',
    "hostile-bitrate-negative": START + b'{"pipeline":"cam","params":'
    b'{"bitrate":-1}}',
    "hostile-gain-nan-string": START + b'{"pipeline":"cam","params":'
    b'{"gain":"NaN"}}',
    "hostile-pipeline-syntax": START + b'{"pipeline":"cam","params":'
    b'{"name":"x ! filesink location=/etc/passwd"}}',
    "hostile-path-traversal": START + b'{"pipeline":"cam","params":'
    b'{"name":"../../etc/passwd"}}',
    "hostile-pipeline-traversal": START + b'{"pipeline":"../cam"}',
    "hostile-unicode-name": START + b'{"pipeline":"cam","params":'
    b'{"name":"clip\\u202e\\u0000mp4"}}',
    "hostile-unicode-pipeline": START + b'{"pipeline":"c\\u0430m"}',
    "hostile-enum-nick": START + b'{"pipeline":"cam","params":'
    b'{"pattern":"BALL"}}',
    "hostile-unknown-param": START + b'{"pipeline":"cam","params":'
    b'{"location":"/tmp/x"}}',
    "hostile-long-request-id": STOP + b'{"pipeline":"cam","request_id":"'
    + b"r" * 200 + b'"}',
    "hostile-request-id-control": STOP + b'{"pipeline":"cam",'
    b'"request_id":"a\\nb"}',
    "hostile-deep-params": START + b'{"pipeline":"cam","params":{"name":'
    + b"[" * 40 + b"]" * 40 + b"}}",
    "hostile-many-params": START + b'{"pipeline":"cam","params":{'
    + b",".join(b'"p%d":1' % i for i in range(70)) + b"}}",
    "hostile-payload-array": START + b'[1,2]',
    "hostile-payload-null": STOP + b"null",
    "hostile-long-string": START + b'{"pipeline":"cam","params":{"name":"'
    + b"a" * 5000 + b'"}}',
}

# Pipeline definition files (key files), as in pipelines/*.pipeline.
PIPELINE_GOOD = b"""[pipeline]
description=videotestsrc is-live=true name=src ! x264enc name=enc ! mp4mux ! filesink name=sink location=${RECORDINGS_DIR}/x.mp4
summary=test pattern to a file
start-timeout=10
stop-timeout=5
default-ttl=60
max-ttl=3600
restart=on-failure
restart-backoff-min=1
restart-backoff-max=30
max-restarts=5
warm=false

[param:bitrate]
element=enc
property=bitrate
type=uint
min=100
max=8000
default=2500
description=kbit/s

[param:pattern]
element=src
property=pattern
type=enum
values=smpte;ball;snow

[param:name]
element=sink
property=location
type=string
pattern=^[a-z0-9_]+$
max-length=64
prefix=${RECORDINGS_DIR}/
suffix=.mp4
"""

PIPELINE = {
    "good": PIPELINE_GOOD,
    "minimal": b"[pipeline]\ndescription=fakesrc ! fakesink\n",
    "all-types": b"""[pipeline]
description=fakesrc ! fakesink
[param:i]
element=a
property=b
type=int
min=-5
max=5
default=0
[param:d]
element=a
property=c
type=double
min=-1.5
max=1e3
[param:b]
element=a
property=d
type=boolean
default=true
""",
    "hostile-unknown-var": b"[pipeline]\ndescription=filesink location=${NOPE}\n",
    "hostile-unclosed-var": b"[pipeline]\ndescription=filesink location=${X\n",
    "hostile-nested-var": b"[pipeline]\ndescription=a ${${X}} b\n",
    "hostile-bad-regex": b"[pipeline]\ndescription=fakesrc ! fakesink\n"
    b"[param:p]\nelement=a\nproperty=b\ntype=string\npattern=([a-z\n",
    "hostile-min-gt-max": b"[pipeline]\ndescription=x\n[param:p]\nelement=a\n"
    b"property=b\ntype=uint\nmin=10\nmax=1\n",
    "hostile-huge-numbers": b"[pipeline]\ndescription=x\nstart-timeout="
    b"99999999999999999999\nmax-ttl=-1\n[param:p]\nelement=a\nproperty=b\n"
    b"type=int\nmin=-99999999999999999999\nmax=1e400\n",
    "hostile-default-out-of-range": b"[pipeline]\ndescription=x\n[param:p]\n"
    b"element=a\nproperty=b\ntype=uint\nmin=1\nmax=2\ndefault=3\n",
    "hostile-empty-values": b"[pipeline]\ndescription=x\n[param:p]\n"
    b"element=a\nproperty=b\ntype=enum\nvalues=\n",
    "hostile-bad-type": b"[pipeline]\ndescription=x\n[param:p]\nelement=a\n"
    b"property=b\ntype=pointer\n",
    "hostile-bad-param-name": b"[pipeline]\ndescription=x\n[param:]\n"
    b"element=a\nproperty=b\ntype=int\n[param:a b]\nelement=a\nproperty=b\n"
    b"type=int\n",
    "hostile-duplicate-groups": b"[pipeline]\ndescription=x\n[pipeline]\n"
    b"description=y\n",
    "hostile-no-pipeline-group": b"[param:p]\nelement=a\nproperty=b\n"
    b"type=int\n",
    "hostile-max-length-huge": b"[pipeline]\ndescription=x\n[param:p]\n"
    b"element=a\nproperty=b\ntype=string\nmax-length=4294967296\n",
    "hostile-escapes": b"[pipeline]\ndescription=a\\nb\\tc\\\\\\s\n"
    b"summary=\\x\n",
    "hostile-bad-utf8": b"[pipeline]\ndescription=\xff\xfe\n",
    "hostile-locale-keys": b"[pipeline]\ndescription=x\ndescription[de]=y\n",
    "hostile-restart": b"[pipeline]\ndescription=x\nrestart=always\n"
    b"warm=maybe\n",
}

# The daemon configuration (config/gateway.conf is the documented one).
CONFIG_MIN = b"""[realtime]
url=http://127.0.0.1:4000
api-key-file=apikey
channel=robot-1
[gateway]
recordings-dir=/tmp/rec
"""
CONFIG = {
    "shipped": open(os.path.join(HERE, "..", "..", "config", "gateway.conf"),
                    "rb").read(),
    "minimal": CONFIG_MIN,
    "all-keys": b"""[realtime]
url=wss://h.example/realtime/v1/websocket?log_level=info
api-key-file=/run/credentials/rg/apikey
access-token-file=token
api-key-in-header=true
ca-file=ca.pem
channel=robot_7-x
private=true
vsn=1.0.0
heartbeat-interval=0.5
heartbeat-timeout=0.25
join-timeout=3
backoff-min=0.1
backoff-max=600
max-message-size=5000000
[gateway]
id=robot-7
pipelines-dirs=pipelines;/etc/rg/p.d;../x
recordings-dir=rec
presence=true
metrics-address=[::1]:9187
[events]
start=go
stop=halt
renew=more
status=how
reply=state
""",
    "hostile-no-realtime": b"[gateway]\nrecordings-dir=/tmp\n",
    "hostile-bad-url": CONFIG_MIN.replace(b"http://127.0.0.1:4000",
                                          b"ftp://x\\n"),
    "hostile-bad-vsn": CONFIG_MIN + b"[realtime]\nvsn=3.0.0\n",
    "hostile-times": CONFIG_MIN.replace(
        b"channel=robot-1", b"channel=robot-1\nheartbeat-interval=0\n"
        b"heartbeat-timeout=-1\njoin-timeout=nan\nbackoff-min=1e400\n"
        b"backoff-max=0.0001\nmax-message-size=99999999999999999999"),
    "hostile-backoff-inverted": CONFIG_MIN.replace(
        b"channel=robot-1", b"channel=robot-1\nbackoff-min=30\nbackoff-max=1"),
    "hostile-empty-values": b"[realtime]\nurl=\napi-key-file=\nchannel=\n"
    b"[gateway]\nrecordings-dir=\npipelines-dirs=;;\n[events]\nstart=\n",
    "hostile-same-events": CONFIG_MIN + b"[events]\nstart=x\nstop=x\n"
    b"reply=x\n",
    "hostile-unknown": CONFIG_MIN + b"[nope]\nk=v\n[realtime]\nurll=x\n",
    "hostile-channel-odd": CONFIG_MIN.replace(b"channel=robot-1",
                                              b"channel=a b\\n\xff:"),
    "hostile-metrics-address": CONFIG_MIN + b"[gateway]\n"
    b"metrics-address=999.1.1.1:99999\n",
    "hostile-escapes": CONFIG_MIN + b"[gateway]\nid=\\x\\s\\t\n",
    "hostile-bad-utf8": CONFIG_MIN + b"[gateway]\nid=\xff\xfe\n",
}

# Reproducers of bugs the fuzzers found (tests/test-fuzz-regressions.c
# has a test for each): kept in the corpus so every run replays them.
# Named regress-*, not crash-*: .gitignore keeps libFuzzer's own crash-*
# artifacts out of git.
CODEC.update({
    # A lone surrogate escape decoded to invalid UTF-8.
    "regress-lone-surrogate": V2 + b'[null,null,"t","e",{"s":"\\ud8006"}]',
    # A malformed surrogate pair reached json-glib 1.6, whose parser leaks
    # a string (about 150 bytes) on that error: a leak per frame.
    "regress-surrogate-leak": V2 + b'[null,null,"t","e",'
    b'{"a\\ud800\\u0041":1}]',
    # 1e98 re-encoded by json-glib as "1e+98.0", which is not JSON.
    "regress-exponent": V1 + b'{"topic":"t","event":"e","payload":{"n":1e98},'
    b'"ref":null}',
})
REQUEST.update({
    # The same leak, found through a start request's param name.
    "regress-surrogate-leak": START + b'{"pipeline":"cam","params":'
    b'{"location\\ud800\\u0041":"/tmp/x"}}',
})
PIPELINE.update({
    # A newline from an escape reached a problem line.
    "regress-newline-in-problem": b"[pipeline]\n"
    b"description=fakesrc ! ${A\\nB} ! fakesink\n",
})
CONFIG.update({
    "regress-newline-in-problem": CONFIG_MIN + b"[gateway]\n"
    b"metrics-address=[::1]:91\\n87\n",
})

SETS = {
    "fuzz-codec": CODEC,
    "fuzz-request": REQUEST,
    "fuzz-pipeline-def": PIPELINE,
    "fuzz-config": CONFIG,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", choices=sorted(SETS))
    args = parser.parse_args()
    for target, seeds in SETS.items():
        if args.target and target != args.target:
            continue
        directory = os.path.join(CORPUS, target)
        os.makedirs(directory, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds in {directory}")


if __name__ == "__main__":
    main()
