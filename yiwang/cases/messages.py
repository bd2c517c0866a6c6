"""The cases engine's user-facing messages and the labels of its audit actions."""

from yiwang.core.audit import add_action_labels
from yiwang.core.i18n import EN, ZH, add_messages

ACTION_LABELS = {
    "submit": "提交",
    "accept": "受理",
    "reject": "不予受理",
    "start_review": "开始审查",
    "request_supplement": "要求补正",
    "supplement": "补正",
    "review": "审查意见",
    "decide": "办结决定",
    "deliver": "送达",
    "close": "归档",
    "withdraw": "撤回",
    "recount": "期限重新计算",
    "note": "情况记录",
}

add_messages(
    {
        "cases.duplicate_code": {ZH: "编码已存在：{value}", EN: "The code is taken: {value}"},
        "cases.complaint_materials": {
            ZH: "投诉类别不设申请材料（照片请以链接提交）。",
            EN: "A complaint category takes no materials (photos come as a media URL).",
        },
        "cases.not_a_service": {
            ZH: "“{value}”不是可申请的办事事项。",
            EN: "“{value}” is not a service item one can apply for.",
        },
        "cases.not_a_task": {
            ZH: "“{value}”不是可开办处置任务的事项（须为在用的处置事项）。",
            EN: "“{value}” is not an item tasks can be opened for (an active task item).",
        },
        "cases.not_a_category": {
            ZH: "“{value}”不是投诉类别。",
            EN: "“{value}” is not a complaint category.",
        },
        "cases.location_conflict": {
            ZH: "地址写的是{address_city}，地图上的位置在{located_city}，请确认哪个正确："
            "改正地址或位置后再提交，或确认无误后加上 location_confirmed=true 按位置所在的"
            "{located_city}提交。",
            EN: "The address says {address_city} but the point is in {located_city}; say which "
            "is right: correct the address or the point, or send location_confirmed=true to "
            "file it in {located_city}, where the point is.",
        },
        "cases.division_conflict": {
            ZH: "地址写的是{address_city}，division_code 却是{located_city}，请确认哪个正确："
            "改正地址或 division_code 后再提交，或确认无误后加上 location_confirmed=true 按"
            "{located_city}提交。",
            EN: "The address says {address_city} but division_code is in {located_city}; say "
            "which is right: correct one of them, or send location_confirmed=true to file it "
            "in {located_city}.",
        },
        "cases.applicant_type": {
            ZH: "该事项不受理此类申请人：{type}",
            EN: "This item does not take applicants of this type: {type}",
        },
        "cases.bad_idempotency_key": {
            ZH: "幂等键（Idempotency-Key）须为 1–200 个字符。",
            EN: "An Idempotency-Key has 1–200 characters.",
        },
        "cases.unknown_form_field": {
            ZH: "表单中没有这个字段：{field}",
            EN: "The form has no field {field}.",
        },
        "cases.form_field_required": {
            ZH: "请填写“{field}”。",
            EN: "“{field}” is required.",
        },
        "cases.form_field_invalid": {
            ZH: "“{field}”的值无效：{value}",
            EN: "Not a valid value for “{field}”: {value}",
        },
        "cases.unknown_material": {
            ZH: "该事项没有这项材料：{key}",
            EN: "This item has no material {key}.",
        },
        "cases.material_missing": {
            ZH: "缺少必交材料：{material}",
            EN: "A mandatory material is missing: {material}",
        },
        "cases.material_empty": {
            ZH: "材料“{material}”是空文件。",
            EN: "The file for “{material}” is empty.",
        },
        "cases.material_too_large": {
            ZH: "材料“{material}”（{filename}）超过大小限制（{limit} 字节）。",
            EN: "“{material}” ({filename}) exceeds the size limit ({limit} bytes).",
        },
        "cases.material_type": {
            ZH: "材料“{material}”（{filename}）的内容是 {actual}，该材料只接受：{allowed}。",
            EN: "The content of “{material}” ({filename}) is {actual}; this material takes "
            "only: {allowed}.",
        },
        "cases.material_mismatch": {
            ZH: "材料“{material}”的文件名（{filename}）与其内容（{actual}）不符。",
            EN: "The name of “{material}” ({filename}) does not match its content ({actual}).",
        },
        "cases.delivery_method": {
            ZH: "该事项不支持此送达方式：{method}",
            EN: "This item does not offer this delivery method: {method}",
        },
        "cases.delivery_address_required": {
            ZH: "选择快递送达时，请填写收件人、联系电话和收件地址。",
            EN: "Delivery by courier needs a recipient, a phone number and an address.",
        },
        "cases.delivery_recipient_required": {
            ZH: "请填写收件人姓名。",
            EN: "Enter the recipient's name.",
        },
        "cases.delivery_phone_required": {
            ZH: "请填写收件人的联系电话。",
            EN: "Enter the recipient's phone number.",
        },
        "cases.delivery_phone_invalid": {
            ZH: "收件人联系电话“{value}”格式不正确：请填写 11 位手机号码，或带区号的固定电话"
            "（如 0571-87654321）。",
            EN: "The recipient's phone “{value}” is not a valid number: give an 11-digit mobile "
            "number or a landline with its area code (0571-87654321).",
        },
        "cases.delivery_province_required": {
            ZH: "请选择收件地址所在的省份。",
            EN: "Choose the province of the address.",
        },
        "cases.delivery_city_required": {
            ZH: "请选择收件地址所在的城市。",
            EN: "Choose the city of the address.",
        },
        "cases.delivery_district_required": {
            ZH: "请选择收件地址在{city}的区（县）。",
            EN: "Choose the district of {city} the address is in.",
        },
        "cases.delivery_division_invalid": {
            ZH: "收件地址的行政区划代码无效：{value}，请重新选择省份。",
            EN: "Not a division code a courier delivers to: {value}; choose the province again.",
        },
        "cases.delivery_city_outside": {
            ZH: "{city}不属于{province}，请重新选择城市。",
            EN: "{city} is not in {province}; choose the city again.",
        },
        "cases.delivery_district_outside": {
            ZH: "{district}不属于{city}，请重新选择区（县）。",
            EN: "{district} is not in {city}; choose the district again.",
        },
        "cases.delivery_street_required": {
            ZH: "请填写详细地址（街道、门牌号、楼栋和房号）。",
            EN: "Enter the street address (street, number, building and room).",
        },
        "cases.illegal_transition": {
            ZH: "办件 {number} 当前状态为“{state}”，不能“{action}”。",
            EN: "Case {number} is “{state}”; “{action}” is not allowed in that state.",
        },
        "cases.reason_required": {
            ZH: "“{action}”须说明理由。",
            EN: "“{action}” needs a reason.",
        },
        "cases.tasks_pending": {
            ZH: "还有 {count} 项审查意见未提出，不能办结。",
            EN: "{count} review task(s) are still pending; the case cannot be decided yet.",
        },
        "cases.task_done": {
            ZH: "“{step}”的审查意见已提出。",
            EN: "The opinion for “{step}” has already been given.",
        },
        "cases.step_not_reached": {
            ZH: "前序环节尚未完成，暂不能提出“{step}”的意见。",
            EN: "An earlier step is not finished; “{step}” cannot be done yet.",
        },
        "cases.bad_decision": {
            ZH: "办结决定应为以下之一：{allowed}（收到 {value}）",
            EN: "The decision must be one of: {allowed} (got {value})",
        },
        "cases.document_required": {
            ZH: "准予许可须填写决定文书编号。",
            EN: "An approval needs the number of its decision document.",
        },
        "cases.reply_required": {
            ZH: "办结投诉须答复投诉人。",
            EN: "Deciding a complaint needs a reply to the complainant.",
        },
        "cases.tracking_required": {
            ZH: "快递送达须填写快递单号。",
            EN: "Delivery by courier needs a tracking number.",
        },
        "cases.not_closed": {
            ZH: "办件结束（归档、不予受理或撤回）后才能评价（当前状态：{state}）。",
            EN: "A case can be rated once it has ended: closed, rejected or withdrawn "
            "(it is {state}).",
        },
        "cases.one_decision_document": {
            ZH: "办结决定只能附一份决定文书。",
            EN: "A decision takes one decision document file.",
        },
        "cases.already_rated": {
            ZH: "办件 {number} 已评价过，每件只能评价一次。",
            EN: "Case {number} has already been rated; each case is rated once.",
        },
        "cases.bad_score": {ZH: "评分应为 1 到 5。", EN: "The score is 1 to 5."},
        "cases.bad_month": {
            ZH: "月份格式应为 YYYY-MM：{value}",
            EN: "A month is written YYYY-MM: {value}",
        },
    }
)

add_action_labels(
    {
        "case.submit": {ZH: "提交办件", EN: "Submit a case"},
        "case.accept": {ZH: "受理办件", EN: "Accept a case"},
        "case.reject": {ZH: "不予受理", EN: "Decline a case"},
        "case.start_review": {ZH: "开始审查", EN: "Start the review"},
        "case.request_supplement": {ZH: "要求补正", EN: "Ask for more documents"},
        "case.supplement": {ZH: "补正材料", EN: "Supply more documents"},
        "case.review": {ZH: "提出审查意见", EN: "Give a review opinion"},
        "case.decide": {ZH: "作出办结决定", EN: "Decide a case"},
        "case.deliver": {ZH: "送达", EN: "Deliver the decision"},
        "case.close": {ZH: "归档", EN: "Close a case"},
        "case.withdraw": {ZH: "撤回办件", EN: "Withdraw a case"},
        "case.rate": {ZH: "评价办件", EN: "Rate a case"},
        "case.note": {ZH: "记录来源系统情况", EN: "Note from the source system"},
        "case.request_failed": {
            ZH: "来源系统申请未能立案",
            EN: "Case request from a system failed",
        },
        "case.recount_deadlines": {ZH: "重新计算办理期限", EN: "Recount deadlines"},
        "case.supervise": {ZH: "督办亮牌", EN: "Issue supervision cards"},
        "case.supervision.read": {ZH: "查看督办情况", EN: "View supervision"},
        "case.statistics.publish": {ZH: "发布办件统计", EN: "Publish case statistics"},
        "cases.item.create": {ZH: "创建办事事项", EN: "Create a service"},
        "cases.item.revise": {ZH: "修订办事事项", EN: "Revise a service"},
        "cases.power.create": {ZH: "创建权力事项", EN: "Create an administrative power"},
        "cases.demo.load": {ZH: "载入演示办件", EN: "Load demonstration cases"},
    }
)
