"""Messages of the sensing engine's core service, in Chinese and English, and the labels of the
engine's audit actions."""

from yiwang.core.audit import add_action_labels
from yiwang.core.i18n import EN, ZH, add_messages

add_messages(
    {
        "sensing.time_invalid": {
            ZH: "时间“{value}”（{field}）不是 ISO 8601 格式。",
            EN: "The time “{value}” ({field}) is not ISO 8601.",
        },
        "sensing.time_without_zone": {
            ZH: "时间“{value}”（{field}）缺少时区，如 2026-11-29T08:00:00+08:00 或以 Z 结尾。",
            EN: "The time “{value}” ({field}) has no time zone; write e.g. "
            "2026-11-29T08:00:00+08:00 or end it with Z.",
        },
        "sensing.interval_reversed": {
            ZH: "时间区间“{value}”（{field}）的结束早于开始。",
            EN: "The interval “{value}” ({field}) ends before it starts.",
        },
        "sensing.observation_invalid": {
            ZH: "观测应为 JSON 对象。",
            EN: "An observation must be a JSON object.",
        },
        "sensing.stream_missing": {
            ZH: "观测未指明所属的数据流（Datastream 或 MultiDatastream）。",
            EN: "The observation names no Datastream or MultiDatastream.",
        },
        "sensing.stream_unknown": {
            ZH: "数据流 {id} 不存在。",
            EN: "There is no datastream {id}.",
        },
        "sensing.result_missing": {
            ZH: "观测缺少结果（result）。",
            EN: "The observation has no result.",
        },
        "sensing.result_type": {
            ZH: "数据流 {stream} 的观测类型为 {type}，结果应为{expected_zh}，收到的是 {value}。",
            EN: "Datastream {stream} is of type {type}: its result must be {expected_en}, "
            "not {value}.",
        },
        "sensing.result_components": {
            ZH: "多数据流 {stream} 有 {expected} 个观测属性，结果数组却有 {count} 个值。",
            EN: "MultiDatastream {stream} has {expected} observed properties but the result "
            "has {count} values.",
        },
        "sensing.duplicate_observation": {
            ZH: "数据流 {stream} 在 {time} 已有观测，未重复保存。",
            EN: "Datastream {stream} already has an observation at {time}; it was not stored "
            "again.",
        },
        "sensing.feature_unknown": {
            ZH: "观测对象（FeatureOfInterest）{id} 不存在。",
            EN: "There is no FeatureOfInterest {id}.",
        },
        "sensing.no_feature": {
            ZH: "观测未指明观测对象，且数据流 {stream} 所属的设施没有位置，无法自动生成。",
            EN: "The observation names no FeatureOfInterest and the Thing of datastream "
            "{stream} has no Location to make one from.",
        },
        "sensing.field_invalid": {
            ZH: "字段 {field} 的值无效：{reason}",
            EN: "The field {field} is invalid: {reason}",
        },
        "sensing.field_too_long": {
            ZH: "{entity} 的字段 {field} 过长：最多 {limit} 个字符。",
            EN: "The field {field} of {entity} is too long: at most {limit} characters.",
        },
        "sensing.field_too_large": {
            ZH: "{entity} 的字段 {field} 过大：JSON 最多 {limit} 字节。",
            EN: "The field {field} of {entity} is too large: at most {limit} bytes of JSON.",
        },
        "sensing.field_too_deep": {
            ZH: "{entity} 的字段 {field} 嵌套过深：最多 {limit} 层。",
            EN: "The field {field} of {entity} is nested too deeply: at most {limit} levels.",
        },
    }
)

add_action_labels(
    {
        "sensing.sta.create": {ZH: "创建感知数据对象", EN: "Create a SensorThings entity"},
        "sensing.sta.update": {ZH: "修改感知数据对象", EN: "Change a SensorThings entity"},
        "sensing.sta.edit": {
            ZH: "修改或删除感知数据对象",
            EN: "Change or delete a SensorThings entity",
        },
        "sensing.sta.delete": {ZH: "删除感知数据对象", EN: "Delete a SensorThings entity"},
        "sensing.sta.read": {ZH: "读取非公开感知数据", EN: "Read closed sensing data"},
        "sensing.sta.create_observations": {
            ZH: "批量写入观测值",
            EN: "Store observations in bulk",
        },
        "create_observations": {ZH: "写入观测值", EN: "Store observations"},
        "read_datastream": {ZH: "读取数据流", EN: "Read a datastream"},
        "read_latest": {ZH: "读取非公开数据流最新值", EN: "Read latest closed values"},
        "read_aggregates": {ZH: "读取非公开数据流统计值", EN: "Read closed aggregates"},
        "sensing.mqtt_ingest": {ZH: "经 MQTT 接收观测值", EN: "Receive observations by MQTT"},
        "view_rejections": {ZH: "查看被拒收的观测消息", EN: "View rejected messages"},
        "sensing.pack_install": {ZH: "安装感知数据包", EN: "Install a sensing pack"},
        "sensing.thing_create": {ZH: "登记监测设备", EN: "Register a monitoring device"},
        "sensing.rule.create": {ZH: "创建预警规则", EN: "Create an alert rule"},
        "sensing.rule.read": {ZH: "查看预警规则", EN: "View an alert rule"},
        "sensing.rule.update": {ZH: "修改预警规则", EN: "Change an alert rule"},
        "sensing.rule.delete": {ZH: "删除预警规则", EN: "Delete an alert rule"},
        "sensing.alert.ack": {ZH: "确认预警", EN: "Acknowledge an alert"},
        "sensing.alert.acknowledge": {ZH: "确认预警", EN: "Acknowledge an alert"},
        "sensing.alert.resolve": {ZH: "解除预警", EN: "Resolve an alert"},
        "sensing.webhook.create": {ZH: "添加消息推送地址", EN: "Add a webhook"},
        "sensing.webhook.read": {ZH: "查看消息推送地址", EN: "View a webhook"},
        "sensing.webhook.update": {ZH: "修改消息推送地址", EN: "Change a webhook"},
        "sensing.webhook.rotate_secret": {
            ZH: "更换消息推送密钥",
            EN: "Rotate a webhook secret",
        },
        "sensing.webhook.delete": {ZH: "删除消息推送地址", EN: "Delete a webhook"},
    }
)
