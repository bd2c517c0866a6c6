"""Messages of the MQTT bridge, in Chinese and English."""

from yiwang.core.i18n import EN, ZH, add_messages

add_messages(
    {
        "sensing.mqtt_topic_invalid": {
            ZH: "主题“{topic}”不是观测主题，应为 v1.1/Datastreams(编号)/Observations、"
            "v1.1/MultiDatastreams(编号)/Observations 或 v1.1/Observations。",
            EN: "The topic “{topic}” is not an observation topic; publish to "
            "v1.1/Datastreams(id)/Observations, v1.1/MultiDatastreams(id)/Observations or "
            "v1.1/Observations.",
        },
        "sensing.mqtt_payload_invalid": {
            ZH: "消息不是 UTF-8 编码的 JSON：{reason}",
            EN: "The message is not JSON in UTF-8: {reason}",
        },
        "sensing.mqtt_stream_kind": {
            ZH: "{id} 不是 {collection} 中的数据流。",
            EN: "There is no {id} among the {collection}.",
        },
        "sensing.mqtt_store_failed": {
            ZH: "保存该消息时出错：{reason}",
            EN: "Storing this message failed: {reason}",
        },
    }
)
