// What the three pages say about a refused lead, in both languages, in one place.
// Only field *names* travel in a redirect (?error=validation_failed&fields=phone): never what was
// typed. What was typed stays in this browser tab (sessionStorage) until the lead is received.
const FIELD_LABELS = {
  name: "Name · 姓名",
  email: "Work email · 工作邮箱",
  phone: "Phone · 电话",
  company: "Company · 公司",
  province: "Province or state · 省份",
  message: "How can we help? · 需求描述",
  consent: "Product news · 产品资讯",
  contact: "Email or phone · 邮箱或电话",
};
const ERROR_TEXT = {
  validation_failed: "Please check the fields below and try again. · 请检查以下内容后重试。",
  source_inactive: "This form is closed for now. · 此表单暂时关闭。",
  forbidden: "This page may not send the form. · 此页面不能提交表单。",
  busy: "We are busy; please try again in a moment. · 系统繁忙，请稍后再试。",
};
const OTHER_ERROR = "Something went wrong; please try again later. · 出现问题，请稍后再试。";
const SAVED = "closeloop-web-form";

function errorText(code) {
  return ERROR_TEXT[code] || OTHER_ERROR;
}

function fieldLabel(name) {
  return FIELD_LABELS[name.split(/[.[]/)[0]] || name;
}

function saveTyped(form) {
  const typed = {};
  for (const element of form.elements) {
    if (!element.name || element.name.startsWith("_") || element.type === "hidden") continue;
    typed[element.name] = element.type === "checkbox" ? element.checked : element.value;
  }
  try { sessionStorage.setItem(SAVED, JSON.stringify(typed)); } catch (e) { /* private mode: nothing kept */ }
}

function restoreTyped(form) {
  let typed = {};
  try { typed = JSON.parse(sessionStorage.getItem(SAVED) || "{}"); } catch (e) { typed = {}; }
  for (const [name, value] of Object.entries(typed)) {
    const element = form.elements[name];
    if (!element) continue;
    if (element.type === "checkbox") element.checked = Boolean(value);
    else element.value = String(value);
  }
}

function forgetTyped() {
  try { sessionStorage.removeItem(SAVED); } catch (e) { /* nothing kept */ }
}
