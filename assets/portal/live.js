(function(){if(!window.EventSource||!window.fetch)return;var s=document.currentScript,u=s.dataset.events,live=document.getElementById('live');
var es=new EventSource(u);es.addEventListener('approved',function(ev){var d={};try{d=JSON.parse(ev.data)}catch(e){}
fetch(location.href,{headers:{'Accept':'text/html'}}).then(function(r){return r.text()}).then(function(t){var doc=new DOMParser().parseFromString(t,'text/html');
['kpis','scorecard','map'].forEach(function(id){var n=doc.getElementById(id),o=document.getElementById(id);if(n&&o)o.replaceWith(n)});
live.textContent=live.dataset.word+': '+(d.indicator||'')+' '+(d.period||'')+' = '+(d.value!==undefined?d.value:'');});});})();
