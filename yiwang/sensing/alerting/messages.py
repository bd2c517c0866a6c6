"""Messages of rules, alerts and webhooks."""

from yiwang.core.i18n import EN, ZH, add_messages

add_messages(
    {
        "alerting.one_target": {
            ZH: "规则须指定且只指定一个目标：datastream_id、observed_property_id 或 "
            "property_definition。",
            EN: "A rule needs exactly one target: datastream_id, observed_property_id or "
            "property_definition.",
        },
        "alerting.unknown_datastream": {
            ZH: "数据流不存在：{id}",
            EN: "No such datastream: {id}",
        },
        "alerting.multi_datastream": {
            ZH: "多数据流（MultiDatastream）不能设置预警规则，请对其单个分量的数据流设置：{id}",
            EN: "Rules cannot watch a MultiDatastream; set them on single datastreams: {id}",
        },
        "alerting.unknown_property": {
            ZH: "观测属性不存在：{id}",
            EN: "No such observed property: {id}",
        },
        "alerting.bad_levels": {
            ZH: "预警级别须按严重程度依次递增（{direction}：{order}）：{values}",
            EN: "Alert levels must grow more severe in order ({direction}: {order}): {values}",
        },
        "alerting.bad_direction": {
            ZH: "“{kind}”规则的方向只能是：{allowed}",
            EN: "The direction of a “{kind}” rule is one of: {allowed}",
        },
        "alerting.window_only_for_rate": {
            ZH: "只有变化率规则可以设置时间窗口（window_minutes）。",
            EN: "Only rate rules take a window (window_minutes).",
        },
        "alerting.department_required": {
            ZH: "请指定规则或接收地址所属的部门（department_id）。",
            EN: "Name the department the rule or webhook belongs to (department_id).",
        },
        "alerting.already_resolved": {
            ZH: "该预警已解除：{id}",
            EN: "This alert is already resolved: {id}",
        },
        "alerting.note_required": {
            ZH: "手动解除预警须填写说明（note）。",
            EN: "Resolving an alert by hand needs a note.",
        },
        "alerting.bad_url": {
            ZH: "接收地址须为 http:// 或 https:// 开头的网址：{url}",
            EN: "A webhook address is an http:// or https:// URL: {url}",
        },
        "alerting.bad_filter": {
            ZH: "筛选条件无效：{field}",
            EN: "Not a valid filter: {field}",
        },
        "alerting.action_level": {
            ZH: "规则动作 actions[{index}] 的级别 {level} 不存在：规则只有 {levels} 个级别。",
            EN: "Rule action actions[{index}] names level {level}; the rule has {levels} levels.",
        },
        "alerting.action_department": {
            ZH: "规则动作 actions[{index}] 的部门“{department}”不存在；可写 owner（设备所属部门）、"
            "properties.<属性路径>（设备属性中指定的部门）或部门标识。",
            EN: "Rule action actions[{index}] names the department “{department}”, which does "
            "not exist; write owner (the Thing's department), properties.<path> (a department "
            "a Thing property names) or a department's slug.",
        },
        "alerting.action_item": {
            ZH: "规则动作 actions[{index}] 的事项“{item}”不是在用的处置事项；请先登记该事项"
            "（办件引擎，事项类型 task）。",
            EN: "Rule action actions[{index}] names “{item}”, which is not an active task item; "
            "register it first (the cases engine, kind task).",
        },
    }
)
