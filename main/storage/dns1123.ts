// The two DNS-1123 shapes apimachinery's validation names: a label (namespaces, most object
// names' segments) and a subdomain (object names, a label key's prefix). One copy, because the
// endpoint's name checks and the label-selector parser must agree with each other and upstream.
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
