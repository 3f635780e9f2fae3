local out = {}
for i = 1, R.n do out[i] = ser(R[i]) end
if not R[1] then out[2] = 'e:'..(tostring(R[2]):gsub('%c', function(c) return string.format('\\%03d', c:byte()) end)) end
return table.concat(out, ' | ')
